package dev.podidentity.cluster;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.PodIdentityConfig.Cluster;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.config.WatchedFile;
import dev.podidentity.serviceaccount.ClusterAccess;

import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The clusters declared as properties: the default cluster (the top level) and each
 * {@code pod-identity.clusters.<id>}. The kubeconfig and CA files they name are read again when
 * they change, so a rotated credential is a new registration and its cluster's client is built
 * again, without a restart.
 *
 * <pre>{@code
 * @Inject PodIdentityConfig config;
 * PropertyClusters clusters = new PropertyClusters(config);
 * clusters.find("prod-eu"); // Usable, or Broken with the reason
 * }</pre>
 *
 * <p>A mistake at the top level stops the start: those are every cluster's defaults and the
 * default cluster's own. A mistake in one named cluster's block fails that cluster alone, with an
 * error in the log at start and the same reason for its callers.
 */
final class PropertyClusters {

    private static final Logger LOG = Logger.getLogger(PropertyClusters.class);

    private final Map<String, Declared> clusters = new LinkedHashMap<>();

    /**
     * @throws IllegalArgumentException when the top-level properties cannot serve the default cluster
     */
    PropertyClusters(PodIdentityConfig config) {
        Cluster top = config.defaultCluster();
        Declared defaultCluster = new Declared(ClusterRegistry.DEFAULT, top, top, config.kubernetes(),
                config.fileCheckInterval());
        if (defaultCluster.current() instanceof Registration.Broken broken) {
            throw new IllegalArgumentException(broken.problem());
        }
        clusters.put(ClusterRegistry.DEFAULT, defaultCluster);
        for (Map.Entry<String, PodIdentityConfig.NamedCluster> named : config.clusters().entrySet()) {
            String id = named.getKey();
            if (!ClusterIds.isValid(id)) {
                LOG.errorf("pod-identity.clusters.%s is not served: %s", id, ClusterIds.rule());
                continue;
            }
            Declared cluster = new Declared(id, named.getValue(), top, null, config.fileCheckInterval());
            if (cluster.current() instanceof Registration.Broken broken) {
                LOG.errorf("cluster %s cannot be served until its properties are fixed: %s", id, broken.problem());
            }
            clusters.put(id, cluster);
        }
    }

    /** The cluster as its properties (and the files they name) say now; empty for an id not declared. */
    Optional<Registration> find(String id) {
        Declared cluster = clusters.get(id);
        return cluster == null ? Optional.empty() : Optional.of(cluster.current());
    }

    /** The declared ids, {@value ClusterRegistry#DEFAULT} first. */
    Set<String> ids() {
        return Collections.unmodifiableSet(clusters.keySet());
    }

    /** One declared cluster, its registration made again when a file it names changes. */
    private static final class Declared {

        private final String id;
        private final Cluster own;
        private final Cluster shared;
        private final Optional<String> apiServerUrl;
        private final Optional<Path> tokenFile;
        private final Optional<Path> caFile;
        private final Optional<Boolean> insecureSkipTlsVerify;
        private final CallerCredentials callers;
        private final String callersProblem;
        private final WatchedFile<String> kubeconfig;
        private final WatchedFile<String> ca;
        private volatile Built built;

        /** A registration and the file contents it was made from. */
        private record Built(Registration registration, String kubeconfig, String ca) {
        }

        /** @param former the former names of the API server settings (the default cluster's), or null */
        Declared(String id, Cluster own, Cluster shared, PodIdentityConfig.FormerKubernetes former,
                Duration checkInterval) {
            this.id = id;
            this.own = own;
            this.shared = shared;
            this.apiServerUrl = former == null ? own.apiServerUrl() : own.apiServerUrl().or(former::apiServerUrl);
            this.tokenFile = former == null ? own.tokenFile() : own.tokenFile().or(former::tokenFile);
            this.caFile = former == null ? own.caFile() : own.caFile().or(former::caFile);
            this.insecureSkipTlsVerify = former == null ? own.insecureSkipTlsVerify()
                    : own.insecureSkipTlsVerify().or(former::insecureSkipTlsVerify);
            CallerCredentials readCallers = null;
            String problem = null;
            try {
                readCallers = callers(own, checkInterval);
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
            this.callers = readCallers;
            this.callersProblem = problem;
            this.kubeconfig = own.kubeconfig().map(path -> watched(path, checkInterval)).orElse(null);
            this.ca = apiServerUrl.isPresent() ? caFile.map(path -> watched(path, checkInterval)).orElse(null) : null;
        }

        Registration current() {
            String kubeconfigNow = kubeconfig == null ? null : kubeconfig.current();
            String caNow = ca == null ? null : ca.current();
            Built known = built;
            if (known != null && known.kubeconfig() == kubeconfigNow && known.ca() == caNow) {
                return known.registration();
            }
            synchronized (this) {
                if (built == known) {
                    built = new Built(registration(kubeconfigNow, caNow), kubeconfigNow, caNow);
                    if (known != null && built.registration() instanceof Registration.Broken broken) {
                        LOG.errorf("cluster %s: a file its properties name has changed, and it cannot be served: %s",
                                id, broken.problem());
                    } else if (known != null) {
                        LOG.infof("cluster %s: a file its properties name has changed", id);
                    }
                }
                return built.registration();
            }
        }

        private Registration registration(String kubeconfigNow, String caNow) {
            LookupFailurePolicy onFailure = own.onLookupFailure().or(shared::onLookupFailure)
                    .orElse(LookupFailurePolicy.ADMIT);
            if (callersProblem != null) {
                return new Registration.Broken(id, callersProblem, null, onFailure);
            }
            try {
                ClusterSettings settings = ClusterSettings.layered(id, access(kubeconfigNow, caNow), own, shared);
                return new Registration.Usable(settings, callers, oidc());
            } catch (IllegalArgumentException e) {
                return new Registration.Broken(id, e.getMessage(), callers, onFailure);
            }
        }

        private String property(String name) {
            return (ClusterRegistry.DEFAULT.equals(id) ? "pod-identity." : "pod-identity.clusters." + id + ".") + name;
        }

        /** Exactly one way to reach the cluster; the default cluster may leave it to the environment. */
        private ClusterAccess access(String kubeconfigNow, String caNow) {
            List<String> ways = new ArrayList<>();
            own.serviceAccountsFile().ifPresent(f -> ways.add("service-accounts-file"));
            own.kubeconfig().ifPresent(f -> ways.add("kubeconfig"));
            apiServerUrl.ifPresent(f -> ways.add("api-server-url"));
            if (ways.size() > 1) {
                throw new IllegalArgumentException("cluster " + id + " sets " + String.join(" and ", ways)
                        + ": set one way to reach it");
            }
            if (own.serviceAccountsFile().isPresent()) {
                return new ClusterAccess.ServiceAccountsFile(own.serviceAccountsFile().get());
            }
            if (own.kubeconfig().isPresent()) {
                if (kubeconfigNow == null) {
                    throw new IllegalArgumentException("the kubeconfig " + own.kubeconfig().get() + " of cluster " + id
                            + " cannot be read");
                }
                return new ClusterAccess.Kubeconfig(kubeconfigNow, own.context().orElse(null),
                        own.kubeconfig().get().toString(), true);
            }
            if (apiServerUrl.isPresent()) {
                if (caFile.isPresent() && caNow == null) {
                    throw new IllegalArgumentException("the CA file " + caFile.get() + " of cluster " + id
                            + " cannot be read");
                }
                return new ClusterAccess.ApiServer(apiServerUrl.get(), tokenFile.map(ClusterAccess.Token::file)
                        .orElse(null), caNow, insecureSkipTlsVerify.orElse(false));
            }
            if (ClusterRegistry.DEFAULT.equals(id)) {
                return new ClusterAccess.FromEnvironment();
            }
            throw new IllegalArgumentException("cluster " + id + " needs " + property("kubeconfig") + ", "
                    + property("api-server-url") + " or " + property("service-accounts-file"));
        }

        private CallerCredentials callers(Cluster cluster, Duration checkInterval) {
            CallerTokens tokens = cluster.callerTokenFile().map(path -> CallerTokens.watching(path, checkInterval))
                    .orElse(null);
            String subject = cluster.callerCertificateSubject().orElse(null);
            Path caFile = cluster.callerCertificateCaFile().orElse(null);
            if (subject == null && caFile != null) {
                throw new IllegalArgumentException("cluster " + id + " has " + property("caller-certificate-ca-file")
                        + " but no caller-certificate-subject: whose certificate should it accept?");
            }
            CallerCertificate certificate = subject == null ? null : caFile == null ? CallerCertificate.of(subject)
                    : CallerCertificate.of(subject, caFile, checkInterval);
            return new CallerCredentials(tokens, certificate);
        }

        private Registration.Oidc oidc() {
            if (!(own instanceof PodIdentityConfig.NamedCluster named)) {
                return null; // served for named clusters only
            }
            return named.oidc().issuer().map(issuer -> new Registration.Oidc(issuer,
                    named.oidc().publicKeyFiles().orElse(List.of()))).orElse(null);
        }

        private static WatchedFile<String> watched(Path path, Duration checkInterval) {
            return new WatchedFile<>(path, bytes -> new String(bytes, StandardCharsets.UTF_8), null, checkInterval,
                    System::nanoTime);
        }
    }
}
