package export

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

func TestKubernetesGolden(t *testing.T) {
	goldenExport(t, "kubernetes", Kubernetes, Options{Image: "registry.example.org/app:1.0", Namespace: "app"}, func(t *testing.T, res *Result) {
		if msg, err := Check("kubernetes", res.Files); err != nil {
			t.Errorf("%v\n%s", err, msg)
		}
		strictK8s(t, res.Files[0].Data)
	})
}

// strictK8s decodes every document strictly into the k8s.io/api type
// of its kind, then checks that encoding the typed object gives the
// same document: every field export writes exists there, with its type.
func strictK8s(t *testing.T, data []byte) {
	t.Helper()
	n := 0
	for _, doc := range strings.Split(string(data), "\n---\n") {
		body := stripComments(doc)
		if strings.TrimSpace(body) == "" {
			continue
		}
		var tm struct{ Kind string }
		if err := yaml.Unmarshal([]byte(body), &tm); err != nil {
			t.Fatal(err)
		}
		var obj any
		switch tm.Kind {
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "CronJob":
			obj = &batchv1.CronJob{}
		default:
			t.Fatalf("unexpected kind %q", tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(body), obj); err != nil {
			t.Errorf("strict decode into k8s.io/api %s: %v\n%s", tm.Kind, err, body)
			continue
		}
		n++
		again, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var want, got map[string]any
		if err := yaml.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(again, &got); err != nil {
			t.Fatal(err)
		}
		dropEmpty(got)
		if !reflect.DeepEqual(want, got) {
			w, _ := json.MarshalIndent(want, "", " ")
			g, _ := json.MarshalIndent(got, "", " ")
			t.Errorf("%s changes through the k8s.io/api type:\n%s\nbecame\n%s", tm.Kind, w, g)
		}
	}
	if n == 0 {
		t.Error("no documents")
	}
}

// dropEmpty removes what the typed objects always write
// (creationTimestamp: null, status: {}, resources: {}, strategy: {}).
func dropEmpty(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		if l, ok := v.([]any); ok {
			for _, x := range l {
				dropEmpty(x)
			}
		}
		return
	}
	for k, x := range m {
		dropEmpty(x)
		if x == nil {
			delete(m, k)
		}
		if sub, ok := x.(map[string]any); ok && len(sub) == 0 {
			delete(m, k)
		}
	}
}
