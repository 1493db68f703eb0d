package dev.podidentity.admission;

/**
 * How large an answer may grow: the patch grows with the pod's containers, and one review of
 * 80,000 empty containers (240 KB) would otherwise ask for a patch of tens of megabytes. Both
 * limits are checked before anything that large exists: the container count before the patch
 * operations are made, the patch size while it is written.
 *
 * <pre>{@code
 * AnswerLimits limits = AnswerLimits.defaults();
 * limits.maxContainers(); // 1000: init and regular containers together
 * limits.maxPatchBytes(); // 1.5 MiB, etcd's largest object: a pod grown by more is never stored
 * }</pre>
 *
 * <p>A pod over either limit is not mutated: admitted with a warning, or denied when the cluster's
 * {@code on-lookup-failure} is {@code deny} (the same choice as for a pod whose ServiceAccount
 * cannot be read: never block pods, or never run one without its credentials).
 *
 * @param maxContainers the most containers (init and regular) of a pod that is mutated
 * @param maxPatchBytes the longest patch written, in bytes
 */
public record AnswerLimits(int maxContainers, int maxPatchBytes) {

    /** etcd's default request limit ({@code --max-request-bytes}): no stored object is larger. */
    public static final int ETCD_MAX_OBJECT_BYTES = 1536 * 1024;

    public AnswerLimits {
        if (maxContainers < 1) {
            throw new IllegalArgumentException("maxContainers must be >= 1, was " + maxContainers);
        }
        if (maxPatchBytes < 1024) {
            throw new IllegalArgumentException("maxPatchBytes must be >= 1024, was " + maxPatchBytes);
        }
    }

    /** 1,000 containers, a patch of 1.5 MiB: far above any real pod, far below what hurts the heap. */
    public static AnswerLimits defaults() {
        return new AnswerLimits(1000, ETCD_MAX_OBJECT_BYTES);
    }
}
