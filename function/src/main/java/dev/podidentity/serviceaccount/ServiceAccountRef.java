package dev.podidentity.serviceaccount;

/**
 * Names one ServiceAccount of one cluster.
 *
 * <pre>{@code
 * var ref = new ServiceAccountRef("payments", "api");
 * ref.toString(); // "payments/api"
 * }</pre>
 *
 * @param namespace the namespace, taken from the admission request
 * @param name the ServiceAccount name
 */
public record ServiceAccountRef(String namespace, String name) {

    public ServiceAccountRef {
        if (namespace == null || namespace.isEmpty()) {
            throw new IllegalArgumentException("namespace must not be empty, was '" + namespace + "'");
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name must not be empty, was '" + name + "'");
        }
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
