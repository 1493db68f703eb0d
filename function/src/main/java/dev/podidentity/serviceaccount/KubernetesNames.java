package dev.podidentity.serviceaccount;

/**
 * The names Kubernetes allows, checked as its API server checks them: a namespace is a DNS-1123
 * label, a ServiceAccount name a DNS-1123 subdomain. A name from a pod goes into an API URL only
 * once it passes, so {@code api#x}, {@code api?x=1} or {@code ../../kube-system/...} never reach the
 * API server; such a pod would be refused by the API server anyway.
 *
 * <pre>{@code
 * KubernetesNames.isNamespace("shop");                // true
 * KubernetesNames.isServiceAccountName("api.v2");     // true
 * KubernetesNames.isServiceAccountName("api#x");      // false
 * }</pre>
 *
 * <p>A loop over the characters, no regular expression: it runs on every admission.
 */
public final class KubernetesNames {

    /** The longest DNS-1123 label. */
    public static final int MAX_LABEL = 63;
    /** The longest DNS-1123 subdomain. */
    public static final int MAX_SUBDOMAIN = 253;

    private KubernetesNames() {
    }

    /** A DNS-1123 label: 1–63 of {@code [a-z0-9-]}, starting and ending with a letter or digit. */
    public static boolean isNamespace(String name) {
        return name != null && name.length() <= MAX_LABEL && isLabel(name, 0, name.length());
    }

    /**
     * A DNS-1123 subdomain: at most 253 characters, DNS-1123 labels joined by dots (each label of
     * any length within the total, as Kubernetes checks it).
     */
    public static boolean isServiceAccountName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_SUBDOMAIN) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '.') {
                if (!isLabel(name, start, i)) {
                    return false;
                }
                start = i + 1;
            }
        }
        return true;
    }

    /** Both names of the reference. */
    public static boolean isValid(ServiceAccountRef ref) {
        return isNamespace(ref.namespace()) && isServiceAccountName(ref.name());
    }

    private static boolean isLabel(String name, int from, int to) {
        if (to <= from || name.charAt(from) == '-' || name.charAt(to - 1) == '-') {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
