package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/prodbench/prodbench/workload"
)

// TestK8sManifestDecodesStrictly checks that the generated YAML decodes
// strictly (unknown fields are errors) into corev1.ConfigMap and
// batchv1.Job, and that the Job is an Indexed Job of N shards starting
// together.
func TestK8sManifestDecodesStrictly(t *testing.T) {
	t.Parallel()
	s, err := workload.Load("../../scenarios/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	out, err := k8sManifests(s, "quickstart.yaml", []byte("name: quickstart\n"), k8sFlags{
		shards: 3, image: "registry.example/prodbench:v1", namespace: "bench", lead: time.Minute,
		cpu: "2", memory: "1Gi", pullPolicy: "IfNotPresent", target: "kafka://kafka-0.kafka:9092",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	docs := bytes.Split(out, []byte("\n---\n"))
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2:\n%s", len(docs), out)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(docs[0], &cm); err != nil {
		t.Fatalf("ConfigMap: %v", err)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict(docs[1], &job); err != nil {
		t.Fatalf("Job: %v", err)
	}
	if cm.Kind != "ConfigMap" || cm.Data["scenario.yaml"] != "name: quickstart\n" || cm.Namespace != "bench" {
		t.Errorf("ConfigMap %+v", cm)
	}
	sp := job.Spec
	if job.Kind != "Job" || sp.CompletionMode == nil || *sp.CompletionMode != batchv1.IndexedCompletion ||
		*sp.Completions != 3 || *sp.Parallelism != 3 {
		t.Fatalf("Job spec %+v", sp)
	}
	c := sp.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--shards 3", "--start-at 2026-12-04T10:01:00Z", "--target kafka://kafka-0.kafka:9092", "--emit-result"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if c.Resources.Limits.Cpu().String() != "2" || c.Resources.Requests.Memory().String() != "1Gi" {
		t.Errorf("resources %+v", c.Resources)
	}
	if sp.Template.Spec.Affinity == nil || sp.Template.Spec.Affinity.PodAntiAffinity == nil {
		t.Error("no pod anti-affinity")
	}
	if sc := sp.Template.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("pods may run as root")
	}
}

// TestK8sBadInput checks that bad flags are refused.
func TestK8sBadInput(t *testing.T) {
	t.Parallel()
	s, err := workload.Load("../../scenarios/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := k8sFlags{shards: 2, image: "x", namespace: "default", lead: time.Minute, cpu: "1", memory: "1Gi", pullPolicy: "Always"}
	for _, tc := range []struct {
		name string
		mod  func(*k8sFlags)
		want string
	}{
		{"no shards", func(f *k8sFlags) { f.shards = 0 }, "--shards"},
		{"no image", func(f *k8sFlags) { f.image = "" }, "--image"},
		{"bad namespace", func(f *k8sFlags) { f.namespace = "Bad_NS" }, "--namespace"},
		{"bad cpu", func(f *k8sFlags) { f.cpu = "two" }, "--cpu"},
		{"short lead", func(f *k8sFlags) { f.lead = time.Second }, "--lead"},
	} {
		f := base
		tc.mod(&f)
		if _, err := k8sManifests(s, "q.yaml", nil, f, time.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
		}
	}
}
