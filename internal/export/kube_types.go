package export

// The Kubernetes objects export writes, as the subset of the
// k8s.io/api types (apps/v1 Deployment, batch/v1 CronJob) it fills,
// with the same JSON field names. superd links these instead of
// k8s.io/api itself: the real types and their dependencies
// (apimachinery, klog, json-iterator, cbor...) add 5.4 MB to the superd
// binary and 2.6 MB to the idle daemon's RSS, for a command run once
// at migration time. The tests decode every generated document
// strictly into the k8s.io/api types and compare it field by field, so
// a wrong name or type here fails them.

type kObjectMeta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

type kTemplateMeta struct {
	Labels map[string]string `json:"labels,omitempty"`
}

type kDeployment struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   kObjectMeta     `json:"metadata"`
	Spec       kDeploymentSpec `json:"spec"`
}

type kDeploymentSpec struct {
	Replicas *int32         `json:"replicas"`
	Selector kLabelSelector `json:"selector"`
	Template kPodTemplate   `json:"template"`
}

type kLabelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type kPodTemplate struct {
	Metadata kTemplateMeta `json:"metadata"`
	Spec     kPodSpec      `json:"spec"`
}

type kPodSpec struct {
	Containers                    []kContainer         `json:"containers"`
	RestartPolicy                 string               `json:"restartPolicy,omitempty"`
	TerminationGracePeriodSeconds *int64               `json:"terminationGracePeriodSeconds,omitempty"`
	SecurityContext               *kPodSecurityContext `json:"securityContext,omitempty"`
}

type kPodSecurityContext struct {
	RunAsUser *int64 `json:"runAsUser,omitempty"`
}

type kContainer struct {
	Name           string           `json:"name"`
	Image          string           `json:"image"`
	Command        []string         `json:"command,omitempty"`
	WorkingDir     string           `json:"workingDir,omitempty"`
	Ports          []kContainerPort `json:"ports,omitempty"`
	Env            []kEnvVar        `json:"env,omitempty"`
	ReadinessProbe *kProbe          `json:"readinessProbe,omitempty"`
	LivenessProbe  *kProbe          `json:"livenessProbe,omitempty"`
	StartupProbe   *kProbe          `json:"startupProbe,omitempty"`
}

type kContainerPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type kEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type kProbe struct {
	Exec             *kExecAction      `json:"exec,omitempty"`
	HTTPGet          *kHTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket        *kTCPSocketAction `json:"tcpSocket,omitempty"`
	TimeoutSeconds   int32             `json:"timeoutSeconds,omitempty"`
	PeriodSeconds    int32             `json:"periodSeconds,omitempty"`
	FailureThreshold int32             `json:"failureThreshold,omitempty"`
}

type kExecAction struct {
	Command []string `json:"command"`
}

type kHTTPGetAction struct {
	Path   string `json:"path,omitempty"`
	Port   int32  `json:"port"`
	Host   string `json:"host,omitempty"`
	Scheme string `json:"scheme,omitempty"`
}

type kTCPSocketAction struct {
	Port int32  `json:"port"`
	Host string `json:"host,omitempty"`
}

type kCronJob struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   kObjectMeta  `json:"metadata"`
	Spec       kCronJobSpec `json:"spec"`
}

type kCronJobSpec struct {
	Schedule                string       `json:"schedule"`
	TimeZone                *string      `json:"timeZone,omitempty"`
	StartingDeadlineSeconds *int64       `json:"startingDeadlineSeconds,omitempty"`
	ConcurrencyPolicy       string       `json:"concurrencyPolicy,omitempty"`
	Suspend                 *bool        `json:"suspend,omitempty"`
	JobTemplate             kJobTemplate `json:"jobTemplate"`
}

type kJobTemplate struct {
	Spec kJobSpec `json:"spec"`
}

type kJobSpec struct {
	ActiveDeadlineSeconds *int64       `json:"activeDeadlineSeconds,omitempty"`
	BackoffLimit          *int32       `json:"backoffLimit,omitempty"`
	Template              kPodTemplate `json:"template"`
}
