package dev.podidentity.identity;

/**
 * The projected ServiceAccount token a pod gets: which volume, where it is mounted, and what the
 * kubelet asks the API server for.
 *
 * <pre>{@code
 * var token = new TokenProjection("aws-iam-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount",
 *         "token", "sts.amazonaws.com", 86400);
 * token.tokenFile(); // "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
 * }</pre>
 *
 * @param volumeName the pod volume that holds the token
 * @param mountPath where every mutated container mounts that volume
 * @param tokenPath the file name of the token inside the volume
 * @param audience the token audience STS (or the Pod Identity agent) expects
 * @param expirationSeconds the requested token lifetime, at least 600
 */
public record TokenProjection(String volumeName, String mountPath, String tokenPath, String audience,
        long expirationSeconds) {

    /** Kubernetes refuses projected tokens that live shorter than this. */
    public static final long MIN_EXPIRATION_SECONDS = 600;

    public TokenProjection {
        requireText(volumeName, "volumeName");
        requireText(mountPath, "mountPath");
        requireText(tokenPath, "tokenPath");
        requireText(audience, "audience");
        if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
            throw new IllegalArgumentException(
                    "expirationSeconds must be at least " + MIN_EXPIRATION_SECONDS + ", was " + expirationSeconds);
        }
    }

    /** The token file path, joined like Go's {@code filepath.Join}: one slash between the parts. */
    public String tokenFile() {
        String dir = mountPath;
        while (dir.length() > 1 && dir.endsWith("/")) {
            dir = dir.substring(0, dir.length() - 1);
        }
        String file = tokenPath;
        while (file.startsWith("/")) {
            file = file.substring(1);
        }
        return dir.equals("/") ? "/" + file : dir + "/" + file;
    }

    static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank, was '" + value + "'");
        }
    }
}
