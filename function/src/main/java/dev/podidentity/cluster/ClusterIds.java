package dev.podidentity.cluster;

import java.util.regex.Pattern;

/**
 * What a cluster id may be: a DNS label (it is a path segment, a label value and a metric label),
 * other than {@value ClusterRegistry#DEFAULT}, which {@code /mutate} serves.
 *
 * <pre>{@code
 * ClusterIds.isValid("prod-eu"); // true
 * }</pre>
 */
final class ClusterIds {

    private static final Pattern ID = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private ClusterIds() {
    }

    static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches() && !ClusterRegistry.DEFAULT.equals(id);
    }

    static String rule() {
        return "a cluster id is a DNS label (at most 63 lower-case letters, digits and '-', starting and ending"
                + " with a letter or digit) other than '" + ClusterRegistry.DEFAULT + "'";
    }
}
