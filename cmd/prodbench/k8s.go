package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/prodbench/prodbench/workload"
)

const k8sUsage = `Usage: prodbench k8s SCENARIO --shards N --image IMAGE [flags]

Prints Kubernetes manifests (YAML, to stdout) that run SCENARIO as N shards
of one schedule on N pods: a ConfigMap holding the scenario file and an
Indexed Job (completionMode Indexed, completions = parallelism = N) whose
pod I runs

  prodbench run /scenario/scenario.yaml --shards N (index from
  JOB_COMPLETION_INDEX) --start-at <now + --lead> --emit-result

so every shard starts its part of the timeline at the same wall-clock
instant. Kubernetes runs the machines; prodbench has no coordinator. Pods
spread over nodes (preferred pod anti-affinity). Each pod prints its
result.json between marker lines at the end of its log (and keeps its
result directory on the results volume: --results-pvc, else an emptyDir).

The loop:
  prodbench k8s scenarios/quickstart.yaml --shards 3 --image REGISTRY/prodbench:TAG \
      --target kafka://kafka-0.kafka:9092 > job.yaml
  kubectl apply -f job.yaml
  kubectl wait --for=condition=complete job/prodbench-quickstart --timeout=30m
  kubectl logs -l batch.kubernetes.io/job-name=prodbench-quickstart --tail=-1 \
      --max-log-requests 64 > shards.log
  prodbench merge shards.log --out results/quickstart-merged

Flags:
%s`

// k8sFlags are the k8s command's options.
type k8sFlags struct {
	shards     int
	image      string
	namespace  string
	name       string
	target     string
	lead       time.Duration
	cpu        string
	memory     string
	resultsPVC string
	pullPolicy string
}

func init() {
	register(command{name: "k8s", summary: "print a Kubernetes Indexed Job running a scenario as N shards", run: cmdK8s})
}

// dnsLabel is what a Kubernetes object name may be (RFC 1123 label).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func cmdK8s(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f k8sFlags
	fs := newFlagSet("k8s")
	fs.IntVar(&f.shards, "shards", 0, "number of shards (pods), 1 to 1000; required")
	fs.StringVar(&f.image, "image", "", "container image holding /prodbench (see Dockerfile, make image); required")
	fs.StringVar(&f.namespace, "namespace", "default", "namespace of the ConfigMap and Job")
	fs.StringVar(&f.name, "name", "", "name of the Job and ConfigMap (default prodbench-<scenario name>)")
	fs.StringVar(&f.target, "target", "", "target URL passed to every shard (default: the scenario's target)")
	fs.DurationVar(&f.lead, "lead", 2*time.Minute, "the common start is now + lead: time for pods to be scheduled and images pulled")
	fs.StringVar(&f.cpu, "cpu", "2", "CPU request and limit of each pod")
	fs.StringVar(&f.memory, "memory", "2Gi", "memory request and limit of each pod")
	fs.StringVar(&f.resultsPVC, "results-pvc", "", "PersistentVolumeClaim mounted at /results for the result directories (default: an emptyDir; results leave through the log)")
	fs.StringVar(&f.pullPolicy, "image-pull-policy", "IfNotPresent", "image pull policy: Always, IfNotPresent or Never")
	if code, done := parseScenarioArg(fs, args, k8sUsage, stdout, stderr); done {
		return code
	}
	path := fs.Arg(0)
	s, err := workload.Load(path)
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if f.target != "" {
		if err := s.SetTargetURL(f.target); err != nil {
			return fail(stderr, exitUsage, "k8s: --target: %v", err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fail(stderr, exitUsage, "k8s: %v", err)
	}
	docs, err := k8sManifests(s, filepath.Base(path), data, f, time.Now())
	if err != nil {
		return fail(stderr, exitUsage, "k8s: %v", err)
	}
	_, _ = stdout.Write(docs)
	return exitOK
}

// k8sManifests returns the ConfigMap and Indexed Job as one YAML stream.
func k8sManifests(s *workload.Scenario, file string, data []byte, f k8sFlags, now time.Time) ([]byte, error) {
	switch {
	case f.shards < 1 || f.shards > 1000:
		return nil, fmt.Errorf("--shards must be between 1 and 1000, got %d", f.shards)
	case f.image == "":
		return nil, fmt.Errorf("--image is required (build one with make image)")
	case f.lead < 10*time.Second:
		return nil, fmt.Errorf("--lead must be at least 10s (pods need time to start), got %v", f.lead)
	case !dnsLabel.MatchString(f.namespace):
		return nil, fmt.Errorf("--namespace %q is not a valid Kubernetes name", f.namespace)
	}
	name := f.name
	if name == "" {
		name = "prodbench-" + sanitizeName(s.Name)
	}
	if len(name) > 52 || !dnsLabel.MatchString(name) {
		return nil, fmt.Errorf("name %q is not a valid Job name (lower-case letters, digits and '-', at most 52)", name)
	}
	cpu, err := resource.ParseQuantity(f.cpu)
	if err != nil {
		return nil, fmt.Errorf("--cpu %q: %v", f.cpu, err)
	}
	mem, err := resource.ParseQuantity(f.memory)
	if err != nil {
		return nil, fmt.Errorf("--memory %q: %v", f.memory, err)
	}
	policy := corev1.PullPolicy(f.pullPolicy)
	switch policy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return nil, fmt.Errorf("--image-pull-policy must be Always, IfNotPresent or Never, got %q", f.pullPolicy)
	}
	startAt := now.Add(f.lead).UTC().Truncate(time.Second).Format(time.RFC3339)
	labels := map[string]string{"app.kubernetes.io/name": "prodbench", "app.kubernetes.io/instance": name}
	cm := corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.namespace, Labels: labels},
		Data:       map[string]string{"scenario.yaml": string(data)},
	}
	runArgs := []string{"run", "/scenario/scenario.yaml",
		"--shards", strconv.Itoa(f.shards), "--start-at", startAt,
		"--out", "/results/shard-$(JOB_COMPLETION_INDEX)", "--quiet", "--emit-result"}
	if f.target != "" {
		runArgs = append(runArgs, "--target", f.target)
	}
	n := int32(f.shards)
	indexed := batchv1.IndexedCompletion
	backoff := int32(0)
	results := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	if f.resultsPVC != "" {
		results = corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: f.resultsPVC}}
	}
	nonRoot := true
	uid := int64(65532)
	job := batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &n,
			Parallelism:    &n,
			// A shard that fails is not restarted: its part of the timeline
			// has passed, and a late retry would not measure the same load.
			BackoffLimit: &backoff,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:   corev1.RestartPolicyNever,
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &nonRoot, RunAsUser: &uid},
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{
								LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
								TopologyKey:   "kubernetes.io/hostname",
							},
						}},
					}},
					Containers: []corev1.Container{{
						Name:            "prodbench",
						Image:           f.image,
						ImagePullPolicy: policy,
						Command:         []string{"/prodbench"},
						Args:            runArgs,
						Env: []corev1.EnvVar{{
							// Set by the Job controller too; declared so that
							// $(JOB_COMPLETION_INDEX) expands in Args.
							Name: "JOB_COMPLETION_INDEX",
							ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
								FieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
							}},
						}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "scenario", MountPath: "/scenario", ReadOnly: true},
							{Name: "results", MountPath: "/results"},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "scenario", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: name},
						}}},
						{Name: "results", VolumeSource: results},
					},
				},
			},
		},
	}
	a, err := yaml.Marshal(cm)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(job)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("# prodbench k8s: scenario %s (%s), %d shards, common start %s\n", s.Name, file, f.shards, startAt)
	out := append([]byte(head), a...)
	out = append(out, "---\n"...)
	return append(out, b...), nil
}

// sanitizeName lower-cases a scenario name into a DNS label's characters.
func sanitizeName(n string) string {
	b := []byte(n)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		default:
			b[i] = '-'
		}
	}
	return string(b)
}
