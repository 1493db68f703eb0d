package dev.podidentity.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@code pod-identity.*} property, with its default (docs/contract.md#configuration). Each
 * also reads from the environment: {@code pod-identity.aws-default-region} ←
 * {@code POD_IDENTITY_AWS_DEFAULT_REGION}.
 *
 * <pre>{@code
 * pod-identity.aws-default-region=eu-west-1
 * pod-identity.role-session-name=pod-name
 * pod-identity.service-accounts-file=examples/service-accounts.yaml
 * pod-identity.clusters.prod-eu.aws-default-region=eu-central-1
 * }</pre>
 *
 * <p>The top-level properties configure the default cluster (served at {@code /mutate}) and are
 * the defaults of every named cluster. A named cluster may override, under
 * {@code pod-identity.clusters.<id>.}, exactly the properties of {@link ClusterOverrides}:
 * {@code annotation-prefix}, {@code token-audience}, {@code token-mount-path},
 * {@code token-expiration}, {@code aws-default-region}, {@code sts-regional-endpoint},
 * {@code role-session-name}, {@code on-lookup-failure}, {@code config-map.enabled},
 * {@code config-map.namespace}, {@code config-map.name} and every {@code container-credentials.*}
 * property. How a cluster is reached and how its callers authenticate are its own ({@link Cluster}).
 * What the process shares stays top-level only: {@code lookup.*} (one cache and retry policy),
 * {@code limits.*} (one heap), {@code file-check-interval}, and {@code service-accounts-file} and
 * {@code kubernetes.*}, which say how the default cluster is reached.
 */
@ConfigMapping(prefix = "pod-identity")
public interface PodIdentityConfig {

    /** Prefix of every annotation key ({@code <prefix>/role-arn}, …). */
    @WithDefault("eks.amazonaws.com")
    String annotationPrefix();

    /** Default IRSA token audience. */
    @WithDefault("sts.amazonaws.com")
    String tokenAudience();

    /** Where IRSA tokens are mounted in every container. */
    @WithDefault("/var/run/secrets/eks.amazonaws.com/serviceaccount")
    String tokenMountPath();

    /** Default token lifetime in seconds; values below 600 become 600. */
    @WithDefault("86400")
    long tokenExpiration();

    /** Region injected as {@code AWS_DEFAULT_REGION} and {@code AWS_REGION}; unset: none. */
    Optional<String> awsDefaultRegion();

    /** Default for injecting {@code AWS_STS_REGIONAL_ENDPOINTS=regional}. */
    @WithDefault("false")
    boolean stsRegionalEndpoint();

    /** {@code none}, or {@code pod-name} to inject {@code AWS_ROLE_SESSION_NAME} from the pod's name. */
    @WithDefault("none")
    RoleSessionNameMode roleSessionName();

    /** {@code admit} (with a warning) or {@code deny} when a ServiceAccount cannot be looked up. */
    @WithDefault("admit")
    LookupFailurePolicy onLookupFailure();

    /** A YAML or JSON file of ServiceAccounts: when set, no cluster is asked. */
    Optional<Path> serviceAccountsFile();

    /** How often watched files (ServiceAccounts, Pod Identity associations) are checked for changes. */
    @WithDefault("1s")
    Duration fileCheckInterval();

    /** How to reach the API server; unset: in-cluster credentials or {@code KUBECONFIG}. */
    Kubernetes kubernetes();

    /** A bearer token file the caller of {@code /mutate} must present; unset: no caller authentication. */
    Optional<Path> callerTokenFile();

    /** The client-certificate subject the caller of {@code /mutate} must present over mTLS (RFC 2253). */
    Optional<String> callerCertificateSubject();

    /** The CA (PEM) the caller of {@code /mutate}'s client certificate must chain to. */
    Optional<Path> callerCertificateCaFile();

    /** The clusters served at {@code /clusters/<id>/mutate}, by id. */
    Map<String, Cluster> clusters();

    /**
     * One cluster of a shared deployment: how to reach its API server, how its API server
     * authenticates to the function, and its {@linkplain ClusterOverrides overrides} of the
     * top-level settings.
     */
    interface Cluster extends ClusterOverrides {
        /** A kubeconfig file for this cluster's API server. */
        Optional<Path> kubeconfig();

        /** The kubeconfig context; unset: its current context. */
        Optional<String> context();

        /** Or: the API server URL, with {@code token-file} and {@code ca-file}. */
        Optional<String> apiServerUrl();

        Optional<Path> tokenFile();

        Optional<Path> caFile();

        @WithDefault("false")
        boolean insecureSkipTlsVerify();

        /** The bearer token this cluster's API server presents (its AdmissionConfiguration kubeconfig). */
        Optional<Path> callerTokenFile();

        /**
         * The subject of the client certificate this cluster's API server presents over mTLS, such as
         * {@code CN=kube-apiserver,O=prod-eu}; needs {@code quarkus.http.ssl.client-auth=request} and
         * a trust store of the callers' CA.
         */
        Optional<String> callerCertificateSubject();

        /**
         * The CA (PEM, one or more certificates) this cluster's client certificate must chain to,
         * the only trust anchor of its chain. Without it the subject alone is checked, and any CA
         * of the shared trust store will do, another cluster's too (a warning at start-up says so).
         */
        Optional<Path> callerCertificateCaFile();

        /** OpenID discovery served for this cluster (self-hosted clusters). */
        Oidc oidc();
    }

    /**
     * What a named cluster may set for itself: each property, unset, is the top-level property of
     * the same name ({@code pod-identity.clusters.<id>.token-audience} defaults to
     * {@code pod-identity.token-audience}, {@code pod-identity.clusters.<id>.config-map.name} to
     * {@code pod-identity.config-map.name}).
     *
     * <pre>{@code
     * pod-identity.clusters.prod-eu.aws-default-region=eu-central-1
     * pod-identity.clusters.prod-eu.container-credentials.config-file=/etc/pod-identity/clusters/prod-eu/associations.json
     * pod-identity.clusters.prod-eu.config-map.enabled=true
     * }</pre>
     *
     * <p>Every member is optional, so that "not set" can fall back to the top level (an empty value
     * is "not set" too); the groups {@link #configMap()} and {@link #containerCredentials()} always
     * exist, with optional members of their own. A cluster cannot turn off what the top level
     * turns on by emptying it: to give it no Pod Identity associations, point its
     * {@code container-credentials.config-file} at a file that does not exist (no file, no
     * association); to read no mapping ConfigMap, set its {@code config-map.enabled=false}.
     */
    interface ClusterOverrides {
        Optional<String> annotationPrefix();

        Optional<String> tokenAudience();

        Optional<String> tokenMountPath();

        Optional<Long> tokenExpiration();

        Optional<String> awsDefaultRegion();

        Optional<Boolean> stsRegionalEndpoint();

        Optional<RoleSessionNameMode> roleSessionName();

        Optional<LookupFailurePolicy> onLookupFailure();

        /** The cluster's mapping ConfigMap, read from its own API server. */
        ConfigMapOverrides configMap();

        /** The cluster's EKS Pod Identity associations and token settings. */
        ContainerCredentialsOverrides containerCredentials();
    }

    /** {@code pod-identity.clusters.<id>.config-map.*}: each unset one is {@code pod-identity.config-map.*}. */
    interface ConfigMapOverrides {
        Optional<Boolean> enabled();

        Optional<String> namespace();

        Optional<String> name();
    }

    /**
     * {@code pod-identity.clusters.<id>.container-credentials.*}: each unset one is
     * {@code pod-identity.container-credentials.*}.
     */
    interface ContainerCredentialsOverrides {
        Optional<Path> configFile();

        Optional<String> audience();

        Optional<String> mountPath();

        Optional<String> volumeName();

        Optional<String> tokenPath();

        Optional<String> fullUri();
    }

    /** The AWS webhook's mapping ConfigMap ({@code --watch-config-map}). */
    ConfigMap configMap();

    /** Cache, timeout, retry and circuit-breaker settings of API lookups. */
    Lookup lookup();

    /** How much one admission, and all admissions at once, may take. */
    Limits limits();

    /**
     * Bounds that keep any review, at any rate, inside the heap.
     *
     * <pre>{@code
     * pod-identity.limits.max-containers=1000
     * pod-identity.limits.max-patch-size=1536K
     * pod-identity.limits.max-in-flight-bytes=8M
     * }</pre>
     */
    interface Limits {
        /**
         * The most containers (init and regular) of a pod that is mutated; a larger pod is admitted
         * unmutated with a warning, or denied when {@code on-lookup-failure=deny}. Checked before
         * the patch is made, which grows with the containers.
         */
        @WithDefault("1000")
        int maxContainers();

        /**
         * The longest patch written (etcd stores no object over 1.5 MiB); past it, the pod is treated
         * as one with too many containers. Writing stops there: a larger patch is never held whole.
         */
        @WithDefault("1536K")
        MemorySize maxPatchSize();

        /**
         * The request bodies (and patches over 64 KiB) that the admissions in flight may hold at
         * once, each request weighing at least 16 KiB; a request that does not fit is answered 429
         * before its body is read, a large patch that does not fit is answered as a pod too large.
         * Reading a body can take up to ~16 times its size, so 8 MiB keeps the worst case near
         * 128 MiB of the shipped 192 MiB heap while 512 ordinary admissions fit at once.
         */
        @WithDefault("8M")
        MemorySize maxInFlightBytes();

        /**
         * How long an admission request's body may take to arrive once its headers have; past it,
         * the exchange is closed and what it held given back. API servers send the body at once; a
         * client trickling it would otherwise hold its share of {@code max-in-flight-bytes} for as
         * long as it likes.
         */
        @WithDefault("10s")
        Duration bodyTimeout();

        /**
         * How long a caller may take to finish its TLS handshake on the HTTPS port; past it, the
         * connection is closed. Until its handshake is done a connection counts against no other
         * limit, yet holds a socket and a few KiB of heap: this bounds how many silent connections
         * are held at once (about the rate they are opened at times this). An API server on a
         * healthy network finishes in milliseconds.
         */
        @WithDefault("3s")
        Duration tlsHandshakeTimeout();

        /**
         * How long a connection to the HTTPS port stays open while the function writes nothing on
         * it; past it, the connection is closed (HTTP/2: with {@code GOAWAY}, after the streams in
         * flight). A caller sending its request headers a byte at a time is never answered, so this
         * is the deadline its headers get; an idle keep-alive connection is closed the same way and
         * the caller opens a new one. Longer than any admission takes to answer (the webhook
         * timeout is at most 30 s).
         */
        @WithDefault("30s")
        Duration quietConnectionTimeout();
    }

    /** The OIDC documents one cluster's tokens are verified with. */
    interface Oidc {
        /** The public issuer URL served for the cluster; equals its API server's --service-account-issuer. */
        Optional<String> issuer();

        /** PEM public keys to publish; unset: the cluster's own JWKS, fetched from its API server. */
        Optional<java.util.List<Path>> publicKeyFiles();
    }

    interface Kubernetes {
        /** The API server URL; with it, {@code token-file} and {@code ca-file} say how to talk to it. */
        Optional<String> apiServerUrl();

        /** A bearer token file, re-read on every connection (projected tokens rotate). */
        Optional<Path> tokenFile();

        /** The CA bundle that signed the API server's certificate. */
        Optional<Path> caFile();

        /** For tests only: trust any API server certificate. */
        @WithDefault("false")
        boolean insecureSkipTlsVerify();
    }

    interface ConfigMap {
        /** Read ServiceAccount → role mappings from the ConfigMap. */
        @WithDefault("false")
        boolean enabled();

        @WithDefault("eks")
        String namespace();

        @WithDefault("pod-identity-webhook")
        String name();
    }

    interface Lookup {
        /** Limit of one API call. */
        @WithDefault("1s")
        Duration requestTimeout();

        /** Retries after a timeout, connection error, 5xx or 429 (never after 401/403/404). */
        @WithDefault("2")
        int maxRetries();

        @WithDefault("100ms")
        Duration retryDelay();

        /** Random variation (±) of the retry delay. */
        @WithDefault("50ms")
        Duration retryJitter();

        /** The longest one admission waits for a lookup, retries included. */
        @WithDefault("3s")
        Duration budget();

        /** Cached values in use are re-read in the background after this age. */
        @WithDefault("1s")
        Duration refreshAfter();

        /** Cached values older than this are re-read before they decide a pod. */
        @WithDefault("2s")
        Duration freshFor();

        /** Oldest cached value still served when the API server cannot answer. */
        @WithDefault("10m")
        Duration maxStale();

        @WithDefault("10000")
        long cacheSize();

        /** Circuit breaker: rolling window, in calls. */
        @WithDefault("8")
        int breakerRequests();

        /** Circuit breaker: share of failures in the window that opens it. */
        @WithDefault("0.5")
        double breakerFailureRatio();

        /** Circuit breaker: how long it stays open before letting a call through. */
        @WithDefault("5s")
        Duration breakerDelay();

        /**
         * Bulkhead, per cluster: API calls in flight at once. Calls past these and
         * {@code max-queued} are not made: the last known value answers, else the pod is answered
         * as {@code on-lookup-failure} says, at once, with a warning that says why.
         */
        @WithDefault("16")
        int maxConcurrent();

        /** Bulkhead, per cluster: API calls that may wait (at most {@code budget}) for one in flight to end. */
        @WithDefault("64")
        int maxQueued();
    }

    /** EKS Pod Identity: the AWS webhook's {@code --container-credentials-*} flags. */
    ContainerCredentials containerCredentials();

    interface ContainerCredentials {
        /** The associations file; unset: Pod Identity mode is off. */
        Optional<Path> configFile();

        @WithDefault("pods.eks.amazonaws.com")
        String audience();

        @WithDefault("/var/run/secrets/pods.eks.amazonaws.com/serviceaccount")
        String mountPath();

        @WithDefault("eks-pod-identity-token")
        String volumeName();

        @WithDefault("eks-pod-identity-token")
        String tokenPath();

        @WithDefault("http://169.254.170.23/v1/credentials")
        String fullUri();
    }
}
