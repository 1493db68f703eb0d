package dev.podidentity.cluster;

import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.admission.AnswerLimits;
import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.admission.DecisionLog;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentityResolverProducer;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.KubernetesRoleMappings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.metrics.ClusterMetrics;
import dev.podidentity.metrics.Metrics;
import dev.podidentity.serviceaccount.ApiGuard;
import dev.podidentity.serviceaccount.ClusterApi;
import dev.podidentity.serviceaccount.KubernetesClients;
import dev.podidentity.serviceaccount.KubernetesServiceAccounts;
import dev.podidentity.serviceaccount.LookupExecutor;
import dev.podidentity.serviceaccount.LookupSettings;
import dev.podidentity.serviceaccount.ServiceAccountSourceProducer;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;

/**
 * The clusters one deployment serves: {@value #DEFAULT} at {@code /mutate}, and each
 * {@code pod-identity.clusters.<id>} at {@code /clusters/<id>/mutate}. Each cluster has its own
 * Kubernetes client, its own cache and its own circuit breaker, so one cluster's answers can never
 * come from another's; each is built on its first request, so start-up does not grow with the
 * number of clusters, and closed at shutdown.
 *
 * <pre>{@code
 * AdmissionHandler handler = registry.handler("prod-eu"); // built on first use
 * }</pre>
 */
@ApplicationScoped
public class ClusterRegistry {

    /** The cluster served at {@code /mutate}: the one the function runs in, or the file's. */
    public static final String DEFAULT = "default";

    private static final Logger LOG = Logger.getLogger(ClusterRegistry.class);
    private static final Pattern ID = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private final PodIdentityConfig config;
    private final IdentityResolver defaultResolver;
    private final LookupSettings lookupSettings;
    private final Ticker ticker;
    private final ExecutorService executor;
    private final Metrics metrics;
    private final AnswerLimits answerLimits;
    private final InFlightBytes inFlight;
    private final DecisionLog decisionLog = new DecisionLog();
    private final Map<String, CallerToken> callerTokens = new ConcurrentHashMap<>();
    private final Map<String, CallerCertificate> callerCertificates = new ConcurrentHashMap<>();
    private final Map<String, Served> served = new ConcurrentHashMap<>();

    private record Served(AdmissionHandler handler, ClusterApi api) {
    }

    @Inject
    public ClusterRegistry(PodIdentityConfig config, IdentityResolver defaultResolver, LookupSettings lookupSettings,
            Ticker ticker, @LookupExecutor ExecutorService executor, Metrics metrics, InFlightBytes inFlight) {
        this.config = config;
        this.metrics = metrics;
        this.defaultResolver = defaultResolver;
        this.lookupSettings = lookupSettings;
        this.ticker = ticker;
        this.executor = executor;
        this.inFlight = inFlight;
        this.answerLimits = answerLimits(config); // an invalid limit fails the start, not the first request
        for (String id : config.clusters().keySet()) {
            if (!ID.matcher(id).matches() || id.equals(DEFAULT)) {
                throw new IllegalArgumentException("cluster id '" + id + "' must be a DNS label other than '"
                        + DEFAULT + "' (lower-case letters, digits and '-')");
            }
            callerCertificate(id); // a malformed subject fails the start, not the first request
        }
        callerCertificate(DEFAULT);
    }

    /** Says at start-up which clusters accept a certificate subject signed by any trusted CA. */
    void warnAboutSubjectsWithoutCa(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent started) {
        for (String cluster : callerCertificates.keySet()) {
            if (!callerCertificates.get(cluster).checksIssuer()) {
                LOG.warnf("cluster %s authenticates callers by certificate subject alone: a certificate with "
                        + "subject %s signed by any CA of the shared trust store is accepted, another cluster's CA "
                        + "too. Set %s.caller-certificate-ca-file to that cluster's CA.", cluster,
                        callerCertificates.get(cluster), DEFAULT.equals(cluster) ? "pod-identity"
                                : "pod-identity.clusters." + cluster);
            }
        }
    }

    /** Whether the deployment serves that cluster. */
    public boolean knows(String cluster) {
        return DEFAULT.equals(cluster) || config.clusters().containsKey(cluster);
    }

    /** The token the cluster's API server must present, if the cluster requires one. */
    public Optional<CallerToken> callerToken(String cluster) {
        Optional<Path> file = DEFAULT.equals(cluster) ? config.callerTokenFile()
                : config.clusters().get(cluster).callerTokenFile();
        return file.map(path -> callerTokens.computeIfAbsent(cluster,
                c -> CallerToken.watching(path, config.fileCheckInterval())));
    }

    /** The client certificate the cluster's API server must present, if the cluster requires one. */
    public Optional<CallerCertificate> callerCertificate(String cluster) {
        CallerCertificate known = callerCertificates.get(cluster);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<String> subject = DEFAULT.equals(cluster) ? config.callerCertificateSubject()
                : config.clusters().get(cluster).callerCertificateSubject();
        Optional<Path> ca = DEFAULT.equals(cluster) ? config.callerCertificateCaFile()
                : config.clusters().get(cluster).callerCertificateCaFile();
        if (subject.isEmpty()) {
            if (ca.isPresent()) {
                throw new IllegalArgumentException("cluster " + cluster + " has caller-certificate-ca-file but no "
                        + "caller-certificate-subject: whose certificate should it accept?");
            }
            return Optional.empty();
        }
        // One per cluster, made at start: it keeps the CA file watched and its verdicts in TLS sessions.
        return Optional.of(callerCertificates.computeIfAbsent(cluster, c -> ca
                .map(file -> CallerCertificate.of(subject.get(), file, config.fileCheckInterval()))
                .orElseGet(() -> CallerCertificate.of(subject.get()))));
    }

    /** The API server of a named cluster (built on first use, shared with its admissions). */
    public ClusterApi api(String cluster) {
        return served.computeIfAbsent(cluster, this::build).api();
    }

    /** The configuration of a named cluster. */
    public PodIdentityConfig.Cluster configuration(String cluster) {
        return config.clusters().get(cluster);
    }

    /** The admission handler of a cluster this deployment {@linkplain #knows knows}. */
    public AdmissionHandler handler(String cluster) {
        return served.computeIfAbsent(cluster, this::build).handler();
    }

    /** The answer limits of every cluster: they protect the one heap all clusters share. */
    static AnswerLimits answerLimits(PodIdentityConfig config) {
        long patch = config.limits().maxPatchSize().asLongValue();
        return new AnswerLimits(config.limits().maxContainers(), (int) Math.min(patch, Integer.MAX_VALUE - 8));
    }

    private Served build(String cluster) {
        ClusterMetrics clusterMetrics = metrics.cluster(cluster);
        if (DEFAULT.equals(cluster)) {
            return new Served(new AdmissionHandler(DEFAULT, defaultResolver, decisionLog.andThen(clusterMetrics),
                    answerLimits, inFlight), null);
        }
        PodIdentityConfig.Cluster c = config.clusters().get(cluster);
        KubernetesClient client = client(cluster, c);
        ClusterApi api = new ClusterApi(cluster, client, new ApiGuard(cluster, lookupSettings,
                ServiceAccountSourceProducer.bulkhead(config, lookupSettings), clusterMetrics));
        RoleMappingSource mappings = config.configMap().enabled()
                ? new KubernetesRoleMappings(client, api.guard(), config.configMap().namespace(),
                        config.configMap().name(), lookupSettings, ticker, executor)
                : RoleMappingSource.NONE;
        IdentitySettings settings = IdentityResolverProducer.settings(config, c);
        IdentityResolver resolver = new IdentityResolver(settings,
                new KubernetesServiceAccounts(client, api.guard(), lookupSettings, ticker, executor, clusterMetrics),
                PodIdentityAssociations.NONE, mappings, IdentityResolverProducer.RANDOM);
        LOG.infof("cluster %s: ServiceAccounts from the API server at %s", cluster,
                client.getConfiguration().getMasterUrl());
        return new Served(new AdmissionHandler(cluster, resolver, decisionLog.andThen(clusterMetrics), answerLimits,
                inFlight), api);
    }

    private KubernetesClient client(String cluster, PodIdentityConfig.Cluster c) {
        if (c.apiServerUrl().isPresent()) {
            return KubernetesClients.forUrl(c.apiServerUrl().get(), c.tokenFile().orElse(null),
                    c.caFile().orElse(null), c.insecureSkipTlsVerify(), lookupSettings.requestTimeout());
        }
        Path kubeconfig = c.kubeconfig().orElseThrow(() -> new IllegalStateException("cluster " + cluster
                + " needs pod-identity.clusters." + cluster + ".kubeconfig or .api-server-url"));
        try {
            Config fromFile = Config.fromKubeconfig(c.context().orElse(null), Files.readString(kubeconfig),
                    kubeconfig.toString());
            return KubernetesClients.from(fromFile, lookupSettings.requestTimeout());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the kubeconfig of cluster " + cluster, e);
        }
    }

    @PreDestroy
    void close() {
        served.values().stream().map(Served::api).filter(java.util.Objects::nonNull).forEach(ClusterApi::close);
    }
}
