package dev.podidentity.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@code pod-identity.*} property (docs/contract.md#configuration). Each also reads from the
 * environment: {@code pod-identity.aws-default-region} ← {@code POD_IDENTITY_AWS_DEFAULT_REGION}.
 *
 * <pre>{@code
 * pod-identity.aws-default-region=eu-west-1
 * pod-identity.service-accounts-file=examples/service-accounts.yaml
 * pod-identity.clusters.prod-eu.api-server-url=https://prod-eu.example.com:6443
 * pod-identity.clusters.prod-eu.aws-default-region=eu-central-1
 * }</pre>
 *
 * <p>A cluster's settings are declared once, in {@link Cluster}. The top-level properties are the
 * default cluster's (served at {@code /mutate}); a named cluster's are the same properties under
 * {@code pod-identity.clusters.<id>.}, and of those, the settings of {@link Identity} it leaves unset
 * are the top level's, and their defaults are in code ({@code IdentitySettings.builder()}). How a
 * cluster is reached and how its callers authenticate are its own. A cluster registered as a
 * Secret ({@link ClusterSecrets}) is read through the same {@link Identity}. What the process
 * shares has no per-cluster value: {@code lookup.*}, {@code limits.*}, {@code file-check-interval},
 * {@code cluster-idle-after}, {@code cluster-secrets.*} and {@code startup.*}.
 */
@ConfigMapping(prefix = "pod-identity")
public interface PodIdentityConfig {

    /**
     * The default cluster, served at {@code /mutate}: the top-level properties. Its {@link Identity}
     * settings are the defaults of every other cluster.
     */
    @WithParentName
    Cluster defaultCluster();

    /**
     * The default cluster's API server under the names it had before every cluster was declared by
     * {@link Cluster}; each is read when its new name ({@code api-server-url}, {@code token-file},
     * {@code ca-file}, {@code insecure-skip-tls-verify}) is not set.
     */
    FormerKubernetes kubernetes();

    /** {@code pod-identity.kubernetes.*}: the former names of the default cluster's API server settings. */
    interface FormerKubernetes {
        Optional<String> apiServerUrl();

        Optional<Path> tokenFile();

        Optional<Path> caFile();

        Optional<Boolean> insecureSkipTlsVerify();
    }

    /** The clusters declared as properties, served at {@code /clusters/<id>/mutate}, by id. */
    Map<String, NamedCluster> clusters();

    /** The clusters registered as Secrets, served at {@code /clusters/<id>/mutate}. */
    ClusterSecrets clusterSecrets();

    /** How often watched files (ServiceAccounts, associations, tokens, CAs, kubeconfigs) are checked for changes. */
    @WithDefault("1s")
    Duration fileCheckInterval();

    /**
     * How long a served cluster's client and caches are kept without an admission; then they are
     * closed, and built again on its next admission.
     */
    @WithDefault("10m")
    Duration clusterIdleAfter();

    /**
     * What a cluster inherits: each setting a named cluster (or a cluster Secret) leaves unset is
     * the top level's, and the top level's unset is the built-in default. An empty value is unset.
     *
     * <pre>{@code
     * pod-identity.token-audience=corp-audience                  # every cluster's
     * pod-identity.clusters.prod-eu.token-audience=prod-audience # prod-eu's own
     * }</pre>
     *
     * <p>A cluster cannot turn off what the top level turns on by emptying it: to give it no Pod
     * Identity associations, point its {@code container-credentials.config-file} at a file that
     * does not exist (no file, no association); to read no mapping ConfigMap, set its
     * {@code config-map.enabled=false}.
     */
    interface Identity {
        /** Prefix of every annotation key ({@code <prefix>/role-arn}, …); default {@code eks.amazonaws.com}. */
        Optional<String> annotationPrefix();

        /** Default IRSA token audience; default {@code sts.amazonaws.com}. */
        Optional<String> tokenAudience();

        /** Where IRSA tokens are mounted in every container; default {@code /var/run/secrets/eks.amazonaws.com/serviceaccount}. */
        Optional<String> tokenMountPath();

        /** Default token lifetime in seconds, default 86400; values below 600 become 600. */
        Optional<Long> tokenExpiration();

        /** Region injected as {@code AWS_DEFAULT_REGION} and {@code AWS_REGION}; unset: none. */
        Optional<String> awsDefaultRegion();

        /** Default for injecting {@code AWS_STS_REGIONAL_ENDPOINTS=regional}; default false. */
        Optional<Boolean> stsRegionalEndpoint();

        /** {@code none} (default), or {@code pod-name} to inject {@code AWS_ROLE_SESSION_NAME} from the pod's name. */
        Optional<RoleSessionNameMode> roleSessionName();

        /** {@code admit} (default, with a warning) or {@code deny} when a ServiceAccount cannot be looked up. */
        Optional<LookupFailurePolicy> onLookupFailure();

        /** The AWS webhook's mapping ConfigMap ({@code --watch-config-map}), read from the cluster's API server. */
        ConfigMap configMap();

        /** EKS Pod Identity: the AWS webhook's {@code --container-credentials-*} flags. */
        ContainerCredentials containerCredentials();
    }

    /**
     * One cluster: how to reach its API server (or its ServiceAccounts file), how its API server
     * authenticates to the function, its OIDC documents, and its {@link Identity} settings.
     *
     * <pre>{@code
     * pod-identity.clusters.prod-eu.kubeconfig=/etc/pod-identity/clusters/prod-eu/kubeconfig
     * pod-identity.clusters.prod-eu.caller-token-file=/etc/pod-identity/clusters/prod-eu/caller-token
     * pod-identity.clusters.prod-eu.aws-default-region=eu-central-1
     * }</pre>
     *
     * <p>Exactly one way to reach it: {@code service-accounts-file}, {@code kubeconfig} (with
     * {@code context}), or {@code api-server-url} (with {@code token-file} and {@code ca-file}); the
     * default cluster alone may set none, and is then reached through in-cluster credentials or
     * {@code KUBECONFIG}.
     */
    interface Cluster extends Identity {
        /** A YAML or JSON file of ServiceAccounts: no API server is asked. */
        Optional<Path> serviceAccountsFile();

        /** A kubeconfig file for this cluster's API server, read again when it changes. */
        Optional<Path> kubeconfig();

        /** The kubeconfig context; unset: its current context. */
        Optional<String> context();

        /** Or: the API server URL, with {@code token-file} and {@code ca-file}. */
        Optional<String> apiServerUrl();

        /** A bearer token file, read again for every connection (projected tokens rotate). */
        Optional<Path> tokenFile();

        /** The CA bundle that signed the API server's certificate, read again when it changes. */
        Optional<Path> caFile();

        /** For tests only: trust any API server certificate. */
        Optional<Boolean> insecureSkipTlsVerify();

        /**
         * The bearer tokens the cluster's API server may present (its AdmissionConfiguration
         * kubeconfig), one per line: during a rotation, the old and the new one. Unset: no token
         * is asked for.
         */
        Optional<Path> callerTokenFile();

        /**
         * The subject of the client certificate the cluster's API server presents over mTLS, such
         * as {@code CN=kube-apiserver,O=prod-eu}; needs {@code quarkus.http.ssl.client-auth=request}
         * and a trust store of the callers' CA.
         */
        Optional<String> callerCertificateSubject();

        /**
         * The CA (PEM, one or more certificates) the client certificate must chain to, the only
         * trust anchor of its chain. Without it the subject alone is checked, and any CA of the
         * shared trust store will do, another cluster's too (a warning at start-up says so).
         */
        Optional<Path> callerCertificateCaFile();
    }

    /** A cluster other than the default one: a {@link Cluster} that may have OIDC discovery served. */
    interface NamedCluster extends Cluster {
        /** OpenID discovery served for this cluster (self-hosted clusters). */
        Oidc oidc();
    }

    /**
     * Member clusters registered as Secrets in the function's own namespace, each selected by the
     * label {@code <label>: <cluster id>}, in a shape platform tools already write: a kubeconfig
     * under key {@code value} (Cluster API) or {@code kubeconfig}, or Argo CD's cluster Secret
     * ({@code server} and {@code config}), with the caller credentials beside it
     * (docs/contract.md#cluster-secrets).
     *
     * <pre>{@code
     * pod-identity.cluster-secrets.enabled=true
     * }</pre>
     */
    interface ClusterSecrets {
        /** Whether clusters are also looked up as Secrets. */
        @WithDefault("false")
        boolean enabled();

        /** The namespace of the Secrets; unset: the namespace the function runs in. */
        Optional<String> namespace();

        /** The label whose value is the cluster id. */
        @WithDefault("pod-identity.dev/cluster")
        String label();

        /**
         * A Secret added, changed or removed at T is honoured by every admission after T plus
         * this: the bound within which clusters take effect on running instances.
         */
        @WithDefault("30s")
        Duration freshFor();

        /** The oldest Secret still used while the API server holding it cannot answer. */
        @WithDefault("24h")
        Duration maxStale();

        /**
         * The most cluster ids (found or not) remembered; each found one holds its Secret's
         * kubeconfig, a few KiB. Raise it past the number of clusters active at once.
         */
        @WithDefault("5000")
        long cacheSize();
    }

    /** Cache, timeout, retry and circuit-breaker settings of API lookups. */
    Lookup lookup();

    /** How much one admission, and all admissions at once, may take. */
    Limits limits();

    /** The cold-start measures that are switched by a property (docs/startup.md lists every one). */
    Startup startup();

    /** {@code pod-identity.startup.*}: every measure is on by default; false turns it off. */
    interface Startup {
        /**
         * Whether the JVM and process meters are bound after the first admission was decided, not
         * before the function serves: the admissions that woke the function do not wait for them.
         */
        @WithDefault("true")
        boolean deferJvmMetrics();
    }

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
         * once, each request weighing at least 16 KiB. An authenticated request that does not fit
         * is answered 429 before its body is read (after {@code max-queue-wait}, if one is set); a
         * large patch that does not fit is answered as a pod too large. Reading a body takes many
         * times its size in heap, so the default keeps the worst case well inside the shipped heap
         * while hundreds of ordinary admissions fit at once (docs/contract.md#limits).
         */
        @WithDefault("8M")
        MemorySize maxInFlightBytes();

        /**
         * The most of {@code max-in-flight-bytes} one cluster's admissions may hold at once, so
         * that a cluster sending too much, or holding slow bodies, leaves room for the others: by
         * default three quarters of the pool, so that a single cluster has nearly all of it and a
         * quarter always remains for the rest.
         */
        @WithDefault("6M")
        MemorySize maxInFlightBytesPerCluster();

        /**
         * How long an authenticated admission that finds no room in the in-flight budget waits for
         * it before it is answered 429; 0, the default, answers it at once. Waiting admissions hold
         * their headers and, over HTTP/2, what of their bodies has come, unread; room is given to
         * the clusters in turn, oldest first within each. Off by default: sent more than a cold
         * function serves, over HTTP/2, a function whose admissions waited did not catch up while the
         * load lasted, and one that refused them at once did within seconds
         * (benchmarks/README.md, "Overload at a cold start").
         */
        @WithDefault("0s")
        Duration maxQueueWait();

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
         * it; past it, the connection is closed (HTTP/2 too, without a {@code GOAWAY}). A caller
         * sending its request headers a byte at a time is never answered, so this
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

    /** The mapping ConfigMap {@code <namespace>/<name>}. */
    interface ConfigMap {
        /** Read ServiceAccount → role mappings from the ConfigMap; default false. */
        Optional<Boolean> enabled();

        /** Its namespace; default {@code eks}. */
        Optional<String> namespace();

        /** Its name; default {@code pod-identity-webhook}. */
        Optional<String> name();
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

    /** EKS Pod Identity's associations file and token settings. */
    interface ContainerCredentials {
        /** The associations file; unset: Pod Identity mode is off. */
        Optional<Path> configFile();

        /** Token audience; default {@code pods.eks.amazonaws.com}. */
        Optional<String> audience();

        /** Mount path; default {@code /var/run/secrets/pods.eks.amazonaws.com/serviceaccount}. */
        Optional<String> mountPath();

        /** Volume name; default {@code eks-pod-identity-token}. */
        Optional<String> volumeName();

        /** Token file in the volume; default {@code eks-pod-identity-token}. */
        Optional<String> tokenPath();

        /** The agent's URI; default {@code http://169.254.170.23/v1/credentials}. */
        Optional<String> fullUri();
    }
}
