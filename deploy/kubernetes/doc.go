// Package kubernetes holds memstorm's Kubernetes manifests: an Indexed Job
// per container limit running the scenario × allocator matrix (job.yaml),
// a DaemonSet that validates every node (daemonset.yaml), and the claim
// their results go to (results-pvc.yaml). The tests decode them strictly
// into the Kubernetes API types and run memstorm's own parsing on the
// command each pod would run, so that a typo fails here rather than in a
// cluster.
package kubernetes
