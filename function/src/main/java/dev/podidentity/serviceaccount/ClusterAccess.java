package dev.podidentity.serviceaccount;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where one cluster's ServiceAccounts are read: a file, or an API server reached by URL, by a
 * kubeconfig, or by what the environment provides. Credentials are held as read (a file's content,
 * a Secret's value), so two accesses are equal exactly when they reach the same server the same
 * way: a changed CA or kubeconfig is a new access, and the cluster's client is built again.
 *
 * <pre>{@code
 * String caPem = Files.readString(Path.of("/etc/pod-identity/ca.crt"));
 * ClusterAccess access = new ClusterAccess.ApiServer("https://10.0.0.1:6443",
 *         ClusterAccess.Token.file(Path.of("/etc/pod-identity/token")), caPem, false);
 * access.usesApiServer(); // true
 * }</pre>
 */
public sealed interface ClusterAccess {

    /** Whether lookups go to an API server (the mapping ConfigMap needs one). */
    default boolean usesApiServer() {
        return !(this instanceof ServiceAccountsFile);
    }

    /**
     * No API server at all: ServiceAccounts from a YAML or JSON file, read again when it changes.
     *
     * @param file the file
     */
    record ServiceAccountsFile(Path file) implements ClusterAccess {
        public ServiceAccountsFile {
            Objects.requireNonNull(file, "file");
        }
    }

    /**
     * An API server at a URL.
     *
     * @param url the API server's URL
     * @param token the bearer token the function presents, or null
     * @param caPem the CA bundle (PEM) of the API server's certificate, or null for the JDK's
     * @param insecureSkipTlsVerify for tests only: trust any certificate
     * @param clientCertificatePem a client certificate (PEM) the function presents, or null
     * @param clientKeyPem its private key (PEM), or null
     */
    record ApiServer(String url, Token token, String caPem, boolean insecureSkipTlsVerify,
            String clientCertificatePem, String clientKeyPem) implements ClusterAccess {
        public ApiServer {
            Objects.requireNonNull(url, "url");
            if ((clientCertificatePem == null) != (clientKeyPem == null)) {
                throw new IllegalArgumentException("a client certificate needs its key, and a key its certificate");
            }
        }

        public ApiServer(String url, Token token, String caPem, boolean insecureSkipTlsVerify) {
            this(url, token, caPem, insecureSkipTlsVerify, null, null);
        }

        @Override
        public String toString() {
            return "ApiServer[" + url + "]"; // never the credentials
        }
    }

    /**
     * An API server named by a kubeconfig.
     *
     * @param content the kubeconfig's YAML
     * @param context its context, or null for its current context
     * @param origin where it was read (a file, which relative paths in it are resolved against, or
     *     a Secret), for messages
     * @param file whether {@code origin} is a file of this machine
     */
    record Kubeconfig(String content, String context, String origin, boolean file) implements ClusterAccess {
        public Kubeconfig {
            Objects.requireNonNull(content, "content");
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public String toString() {
            return "Kubeconfig[" + origin + (context == null ? "" : ", context " + context) + "]";
        }
    }

    /**
     * The API server the Kubernetes client finds on its own: in-cluster credentials, else
     * {@code KUBECONFIG} (the default cluster when nothing else is configured).
     */
    record FromEnvironment() implements ClusterAccess {
    }

    /**
     * A bearer token the function presents to an API server: a file read again for every
     * connection (projected tokens rotate), or a value.
     *
     * @param file the token file, or null
     * @param value the token, or null
     */
    record Token(Path file, String value) {
        public Token {
            if ((file == null) == (value == null)) {
                throw new IllegalArgumentException("a token is a file or a value");
            }
        }

        public static Token file(Path file) {
            return new Token(file, null);
        }

        public static Token value(String value) {
            return new Token(null, value);
        }

        @Override
        public String toString() {
            return file != null ? "Token[" + file + "]" : "Token[value]";
        }
    }
}
