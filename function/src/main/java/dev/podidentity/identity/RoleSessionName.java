package dev.podidentity.identity;

/**
 * How {@code AWS_ROLE_SESSION_NAME} is injected in IRSA mode, so STS and CloudTrail see which pod
 * assumed the role.
 *
 * <pre>{@code
 * var name = RoleSessionName.forServiceAccount("payments", "api");
 * name.fallback(); // "payments.api", used only for pods whose explicit name STS would refuse
 * }</pre>
 *
 * <p>The value normally comes from the Downward API ({@code metadata.name}): pod names use only
 * {@code [a-z0-9.-]}, and generated names are 6 to 63 characters, so they satisfy STS's 2–64
 * characters of {@code [\w+=,.@-]}. An explicit name can be shorter (one character) or longer (up
 * to 253): STS would refuse it, and the SDK would get no credentials at all, so such a pod gets the
 * literal fallback instead, which is always valid and still says whose pod assumed the role.
 *
 * @param fallback the literal used when the pod's own name does not fit STS's limit
 */
public record RoleSessionName(String fallback) {

    /** The shortest role session name STS accepts. */
    public static final int MIN_LENGTH = 2;
    /** The longest role session name STS accepts. */
    public static final int MAX_LENGTH = 64;

    public RoleSessionName {
        TokenProjection.requireText(fallback, "fallback");
        if (fallback.length() < MIN_LENGTH || fallback.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("fallback must have 2 to 64 characters, was '" + fallback + "'");
        }
    }

    /** {@code <namespace>.<serviceAccount>}, characters STS refuses replaced by {@code -}, cut to 64. */
    public static RoleSessionName forServiceAccount(String namespace, String serviceAccount) {
        String raw = namespace + "." + serviceAccount;
        StringBuilder sanitized = new StringBuilder(Math.min(raw.length(), MAX_LENGTH));
        for (int i = 0; i < raw.length() && sanitized.length() < MAX_LENGTH; i++) {
            char c = raw.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "_+=,.@-".indexOf(c) >= 0;
            sanitized.append(allowed ? c : '-');
        }
        return new RoleSessionName(sanitized.toString());
    }

    /**
     * Whether the pod's own name can serve as the session name: it has 2 to 64 characters, or the
     * API server will generate it from {@code generateName} (no name, or an empty one).
     */
    public static boolean fits(String podName) {
        return podName == null || podName.isEmpty()
                || (podName.length() >= MIN_LENGTH && podName.length() <= MAX_LENGTH);
    }
}
