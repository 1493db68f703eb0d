package dev.podidentity.cluster;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where one cluster's ServiceAccounts are read: a file, or an API server reached by URL, by a
 * kubeconfig, or by what the environment provides.
 *
 * <pre>{@code
 * ClusterAccess access = new ClusterAccess.ApiServerUrl("https://10.0.0.1:6443",
 *         Path.of("/etc/pod-identity/token"), Path.of("/etc/pod-identity/ca.crt"), false);
 * access.usesApiServer(); // true
 * }</pre>
 */
public sealed interface ClusterAccess {

    /** Whether lookups go to an API server (the mapping ConfigMap needs one). */
    default boolean usesApiServer() {
        return !(this instanceof ServiceAccountsFile);
    }

    /**
     * {@code pod-identity.service-accounts-file}: no API server at all (the default cluster only).
     *
     * @param file a YAML or JSON file of ServiceAccounts, re-read when it changes
     */
    record ServiceAccountsFile(Path file) implements ClusterAccess {
        public ServiceAccountsFile {
            Objects.requireNonNull(file, "file");
        }
    }

    /**
     * An API server at a URL ({@code api-server-url}, {@code token-file}, {@code ca-file}).
     *
     * @param url the API server's URL
     * @param tokenFile a bearer token file, re-read as it rotates, or null
     * @param caFile the CA bundle of the API server's certificate, or null
     * @param insecureSkipTlsVerify for tests only: trust any certificate
     */
    record ApiServerUrl(String url, Path tokenFile, Path caFile, boolean insecureSkipTlsVerify)
            implements ClusterAccess {
        public ApiServerUrl {
            Objects.requireNonNull(url, "url");
        }
    }

    /**
     * An API server named by a kubeconfig file (a named cluster's {@code kubeconfig} and {@code context}).
     *
     * @param file the kubeconfig, read when the cluster is first used
     * @param context its context, or null for its current context
     */
    record Kubeconfig(Path file, String context) implements ClusterAccess {
        public Kubeconfig {
            Objects.requireNonNull(file, "file");
        }
    }

    /**
     * The API server the Kubernetes client finds on its own: in-cluster credentials, else
     * {@code KUBECONFIG} (the default cluster when nothing else is configured).
     */
    record FromEnvironment() implements ClusterAccess {
    }
}
