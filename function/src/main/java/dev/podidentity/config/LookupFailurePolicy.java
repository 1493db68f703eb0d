package dev.podidentity.config;

/**
 * What happens to a pod whose ServiceAccount cannot be looked up and has no known value:
 * property {@code pod-identity.on-lookup-failure}.
 *
 * <pre>{@code
 * pod-identity.on-lookup-failure=deny
 * }</pre>
 */
public enum LookupFailurePolicy {
    /** Admit the pod unmutated, with a warning (the default: never block pod creation). */
    ADMIT,
    /** Deny the pod with a clear message, so that its controller retries. */
    DENY
}
