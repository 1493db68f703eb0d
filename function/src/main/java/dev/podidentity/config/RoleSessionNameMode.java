package dev.podidentity.config;

/**
 * Whether IRSA pods get {@code AWS_ROLE_SESSION_NAME}: property {@code pod-identity.role-session-name},
 * overridden per ServiceAccount by the {@code <prefix>/role-session-name} annotation.
 *
 * <pre>{@code
 * RoleSessionNameMode.parse("pod-name"); // Optional[POD_NAME]
 * }</pre>
 */
public enum RoleSessionNameMode {
    /** No session name is injected; the SDK picks one. */
    NONE,
    /** The pod's name, through the Downward API. */
    POD_NAME;

    /** Reads an annotation value ({@code none} or {@code pod-name}); empty for anything else. */
    public static java.util.Optional<RoleSessionNameMode> parse(String value) {
        if (value == null) {
            return java.util.Optional.empty();
        }
        return switch (value.strip()) {
            case "none" -> java.util.Optional.of(NONE);
            case "pod-name" -> java.util.Optional.of(POD_NAME);
            default -> java.util.Optional.empty();
        };
    }
}
