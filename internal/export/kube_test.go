package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/superd/superd/pkg/config"
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

// docs/EXPORT.md's worked example is the config of the golden test
// testdata/kubernetes/worked-example.txtar, whose outputs it quotes.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/EXPORT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A worked example")
	if !ok {
		t.Fatal("docs/EXPORT.md has no worked example")
	}
	_, rest, _ = strings.Cut(rest, "```ini\n")
	block, _, _ := strings.Cut(rest, "```")
	a := readArchive(t, filepath.Join("testdata", "kubernetes", "worked-example.txtar"))
	conf, _ := a.get("in/superd.conf")
	if block != conf {
		t.Errorf("the worked example in docs/EXPORT.md differs from the golden test's config:\n%s", block)
	}
	// the systemd units it quotes
	dir := a.inputs(t)
	cfg, err := config.Load(filepath.Join(dir, "superd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Systemd(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, f := range res.Files {
		units[f.Name] = stripComments(string(f.Data))
	}
	_, after, _ := strings.Cut(rest, "`worker-0.service` and the `send_emails` pair read:")
	_, after, _ = strings.Cut(after, "```ini\n")
	block, _, _ = strings.Cut(after, "```")
	if strings.TrimSpace(stripComments(block)) != strings.TrimSpace(units["worker-0.service"]) {
		t.Errorf("docs/EXPORT.md's worker-0.service is not what export writes:\n%s", units["worker-0.service"])
	}
	_, after, _ = strings.Cut(after, "```ini\n")
	block, _, _ = strings.Cut(after, "```")
	svc, timer, _ := strings.Cut(block, "# send_emails.timer\n")
	if strings.TrimSpace(stripComments(svc)) != strings.TrimSpace(units["send_emails.service"]) ||
		strings.TrimSpace(stripComments(timer)) != strings.TrimSpace(units["send_emails.timer"]) {
		t.Errorf("docs/EXPORT.md's send_emails pair is not what export writes:\n%s\n%s", units["send_emails.service"], units["send_emails.timer"])
	}
	out, _ := a.get("out/superd.yaml")
	for _, want := range []string{"  replicas: 4\n", "  schedule: 30 7 * * *\n  suspend: false\n  timeZone: Europe/Brussels\n"} {
		if !strings.Contains(out, want) || !strings.Contains(string(doc), want) {
			t.Errorf("%q: not in both the golden output and the doc", want)
		}
	}
}
