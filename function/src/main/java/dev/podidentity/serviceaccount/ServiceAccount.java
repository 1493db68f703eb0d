package dev.podidentity.serviceaccount;

import java.util.Map;
import java.util.Objects;

/**
 * What the function knows of a ServiceAccount: its name and its annotations (all that identity
 * resolution reads).
 *
 * <pre>{@code
 * var sa = new ServiceAccount(new ServiceAccountRef("payments", "api"),
 *         Map.of("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/api"));
 * sa.annotation("eks.amazonaws.com/role-arn"); // the ARN, or null when absent
 * }</pre>
 *
 * @param ref namespace and name
 * @param annotations the ServiceAccount's annotations
 */
public record ServiceAccount(ServiceAccountRef ref, Map<String, String> annotations) {

    public ServiceAccount {
        Objects.requireNonNull(ref, "ref");
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /** The annotation's value, or {@code null} when the ServiceAccount does not carry it. */
    public String annotation(String key) {
        return annotations.get(key);
    }
}
