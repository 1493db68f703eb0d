// The pod sandbox's pause process for the Knative suite's node, built from the Go module proxy.
module example.invalid/pod-identity-knative-tools

go 1.24
