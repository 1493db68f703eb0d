package dev.podidentity.cluster;

import dev.podidentity.serviceaccount.ClusterAccess;
import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.admission.AnswerLimits;
import dev.podidentity.admission.DecisionLog;
import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.KubernetesRoleMappings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.metrics.ClusterMetrics;
import dev.podidentity.metrics.Metrics;
import dev.podidentity.serviceaccount.ApiGuard;
import dev.podidentity.serviceaccount.ApiServerClient;
import dev.podidentity.serviceaccount.ClusterApi;
import dev.podidentity.serviceaccount.KubernetesClients;
import dev.podidentity.serviceaccount.KubernetesServiceAccounts;
import dev.podidentity.serviceaccount.LookupBulkhead;
import dev.podidentity.serviceaccount.LookupExecutor;
import dev.podidentity.serviceaccount.LookupSettings;
import dev.podidentity.serviceaccount.ServiceAccountFile;
import dev.podidentity.serviceaccount.ServiceAccountSource;

import io.fabric8.kubernetes.client.Config;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Builds a served cluster from its {@link ClusterSettings}: its Kubernetes client with the guard
 * (bulkhead, timeout, retries, circuit breaker) around every call, its ServiceAccount cache (or
 * the ServiceAccounts file), its mapping ConfigMap, its Pod Identity associations, its identity
 * resolver and its admission handler. The default cluster and the named ones are built here
 * alike; only their settings differ.
 *
 * <pre>{@code
 * @Inject ClusterFactory factory;
 * Registration.Usable prod = (Registration.Usable) registry.find("prod-eu").join().orElseThrow();
 * ServedCluster served = factory.build(prod.settings());
 * }</pre>
 *
 * <p>Building connects to nothing: the first lookup does.
 */
@Singleton
class ClusterFactory {

    private static final Logger LOG = Logger.getLogger(ClusterFactory.class);

    /** Only the Pod Identity token lifetime is randomised: each thread draws from its own generator. */
    private static final RandomGenerator RANDOM = () -> ThreadLocalRandom.current().nextLong();

    private final PodIdentityConfig.Lookup lookup;
    private final Duration fileCheckInterval;
    private final LookupSettings lookupSettings;
    private final Ticker ticker;
    private final ExecutorService executor;
    private final Metrics metrics;
    private final InFlightBytes inFlight;
    private final Instance<Config> environment;
    private final KubernetesClients clients;
    private final AnswerLimits answerLimits;
    private final DecisionLog decisionLog = new DecisionLog();

    /**
     * @param environment the Kubernetes client configuration Quarkus finds (in-cluster, {@code KUBECONFIG}),
     *     asked only for a cluster reached {@link ClusterAccess.FromEnvironment from the environment}
     */
    public ClusterFactory(PodIdentityConfig config, LookupSettings lookupSettings, Ticker ticker,
            @LookupExecutor ExecutorService executor, Metrics metrics, InFlightBytes inFlight,
            Instance<Config> environment, KubernetesClients clients) {
        this.lookup = config.lookup();
        this.fileCheckInterval = config.fileCheckInterval();
        this.lookupSettings = lookupSettings;
        this.ticker = ticker;
        this.executor = executor;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.environment = environment;
        this.clients = clients;
        // Invalid limits fail the start, not the first request.
        this.answerLimits = answerLimits(config);
        bulkhead();
    }

    /** The answer limits of every cluster: they protect the one heap all clusters share. */
    static AnswerLimits answerLimits(PodIdentityConfig config) {
        long patch = config.limits().maxPatchSize().asLongValue();
        return new AnswerLimits(config.limits().maxContainers(), (int) Math.min(patch, Integer.MAX_VALUE - 8));
    }

    /** Builds the cluster; a client is made, nothing is connected to. */
    public ServedCluster build(ClusterSettings settings) {
        String id = settings.id();
        ClusterMetrics clusterMetrics = metrics.cluster(id);
        ClusterApi api = null;
        ServiceAccountSource serviceAccounts;
        if (settings.access() instanceof ClusterAccess.ServiceAccountsFile file) {
            LOG.infof("cluster %s: ServiceAccounts from the file %s", id, file.file());
            serviceAccounts = ServiceAccountFile.watching(file.file(), fileCheckInterval);
        } else {
            ApiServerClient client = client(id, settings.access());
            api = new ClusterApi(id, client, new ApiGuard(id, lookupSettings, bulkhead(), clusterMetrics));
            serviceAccounts = new KubernetesServiceAccounts(client, api.guard(), lookupSettings, ticker, executor,
                    clusterMetrics);
            LOG.infof("cluster %s: ServiceAccounts from the API server at %s", id,
                    client.masterUrl());
        }
        RoleMappingSource mappings = settings.mappings() == null ? RoleMappingSource.NONE
                : new KubernetesRoleMappings(api.client(), api.guard(), settings.mappings().namespace(),
                        settings.mappings().name(), lookupSettings, ticker, executor);
        PodIdentityAssociations associations = settings.associationsFile() == null ? PodIdentityAssociations.NONE
                : PodIdentityAssociations.watching(settings.associationsFile(), fileCheckInterval);
        IdentityResolver resolver = new IdentityResolver(settings.identity(), serviceAccounts, associations, mappings,
                RANDOM);
        AdmissionHandler handler = new AdmissionHandler(id, resolver,
                decisionLog.andThen(clusterMetrics), answerLimits, inFlight);
        return new ServedCluster(settings, handler, api);
    }

    /**
     * The handler of a cluster that cannot be served: every pod it should mutate is answered as
     * {@code onLookupFailure} says, with the reason, and logged and counted like any decision.
     */
    public AdmissionHandler unservable(String id, String problem, LookupFailurePolicy onLookupFailure) {
        return AdmissionHandler.unservable(id, "cluster " + id + " cannot be served: " + problem, onLookupFailure,
                decisionLog.andThen(metrics.cluster(id)));
    }

    /** Each cluster its own: a slow cluster must not take the others' calls. */
    private LookupBulkhead bulkhead() {
        return LookupBulkhead.of(lookup.maxConcurrent(), lookup.maxQueued(), lookupSettings.budget());
    }

    private ApiServerClient client(String id, ClusterAccess access) {
        return switch (access) {
            case ClusterAccess.ApiServer server -> clients.forApiServer(server);
            case ClusterAccess.Kubeconfig kubeconfig -> clients.fromKubeconfig(kubeconfig);
            case ClusterAccess.FromEnvironment fromEnvironment -> clients.from(environment.get());
            case ClusterAccess.ServiceAccountsFile file -> throw new IllegalArgumentException(
                    "cluster " + id + " reads ServiceAccounts from " + file.file() + ", not from an API server");
        };
    }
}
