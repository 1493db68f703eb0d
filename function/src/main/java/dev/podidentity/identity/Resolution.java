package dev.podidentity.identity;


import java.util.List;

/**
 * The outcome of identity resolution for one pod: an identity to inject, nothing to inject, or a
 * denial (only when a lookup failed and the policy says deny).
 *
 * <pre>{@code
 * Resolution resolution = resolver.resolve("payments", "app", Map.of());
 * if (resolution.denied()) { ... } else if (resolution.identity() != null) { ... }
 * }</pre>
 *
 * @param identity what to inject, or {@code null}
 * @param reason why, in a few words, for the decision log line
 * @param warnings problems the pod's creator should see
 * @param denial the message of a denial, or {@code null} when the pod is admitted
 */
public record Resolution(Identity identity, String reason, List<String> warnings, String denial) {

    public Resolution {
        warnings = List.copyOf(warnings);
    }

    public static Resolution inject(Identity identity, String reason, List<String> warnings) {
        return new Resolution(identity, reason, warnings, null);
    }

    public static Resolution nothing(String reason, List<String> warnings) {
        return new Resolution(null, reason, warnings, null);
    }

    public static Resolution deny(String message, String reason) {
        return new Resolution(null, reason, List.of(), message);
    }

    public boolean denied() {
        return denial != null;
    }
}
