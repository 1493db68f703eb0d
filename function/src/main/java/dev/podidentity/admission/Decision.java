package dev.podidentity.admission;

/**
 * What was decided for one admission request: the one log line (docs/contract.md#decision-log) and
 * the metrics (docs/contract.md#metrics). Names
 * and reasons only, never the pod itself.
 *
 * <pre>{@code
 * new Decision("prod-eu", "shop", "api-7c9-", "api", "sts_web_identity", Outcome.MUTATED,
 *         "role-arn annotation", 412_000, "0b5a2c1e-…");
 * }</pre>
 *
 * @param cluster the cluster the request came from
 * @param namespace the pod's namespace, or empty
 * @param pod the pod's name, else its generateName, or empty
 * @param serviceAccount the pod's ServiceAccount, or empty
 * @param mode {@code sts_web_identity}, {@code container_credentials} or {@code none}
 * @param outcome mutated, not mutated, denied or error
 * @param reason why, in a few words
 * @param durationNanos how long the admission took in the function
 * @param uid the request's uid
 */
public record Decision(String cluster, String namespace, String pod, String serviceAccount, String mode,
        Outcome outcome, String reason, long durationNanos, String uid) {
}
