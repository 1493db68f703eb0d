package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.serviceaccount.ApiGuard;
import dev.podidentity.serviceaccount.ApiServerClient;
import dev.podidentity.serviceaccount.CachedLookup;
import dev.podidentity.serviceaccount.KubernetesClients;
import dev.podidentity.serviceaccount.LookupBulkhead;
import dev.podidentity.serviceaccount.LookupExecutor;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.LookupListener;
import dev.podidentity.serviceaccount.LookupSettings;

import io.fabric8.kubernetes.client.Config;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * The clusters registered as Secrets in the function's namespace, each found by id on its first
 * admission: one {@code GET} of the Secrets with the label {@code <label>=<id>}, cached as
 * ServiceAccounts are ({@link CachedLookup}: coalesced, refreshed in the background while in use,
 * re-read when older than {@code cluster-secrets.fresh-for}, the last known one served while the
 * API server cannot answer) and guarded as every API call is ({@link ApiGuard}). Nothing is listed
 * at start, and a cluster costs nothing until its first admission.
 *
 * <pre>{@code
 * @Inject SecretClusters secrets;
 * secrets.find("prod-eu").thenAccept(found -> found.ifPresent(registration -> registry.handler(registration)));
 * }</pre>
 *
 * <p>A Secret is read again only when its version changes: a refresh that finds the same version
 * keeps the same registration, so that its cluster keeps its client and caches.
 */
@ApplicationScoped
class SecretClusters {

    private static final Logger LOG = Logger.getLogger(SecretClusters.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PodIdentityConfig config;
    private final LookupSettings settings;
    private final Ticker ticker;
    private final ExecutorService executor;
    private final Instance<Config> environment;
    private final KubernetesClients clients;
    private volatile Lookup lookup;

    /**
     * The Secrets of a cluster as read: their version, the name of the one that registers it (null
     * when more than one claims the id), and the registration read from it.
     */
    private record Found(String version, String name, Registration registration) {
    }

    /** What is built on the first lookup: the client of the API server that holds the Secrets, and the cache. */
    private record Lookup(ApiServerClient client, String namespace, CachedLookup<String, Optional<Found>> cache) {
    }

    public SecretClusters(PodIdentityConfig config, LookupSettings settings, Ticker ticker,
            @LookupExecutor ExecutorService executor, Instance<Config> environment, KubernetesClients clients) {
        this.config = config;
        PodIdentityConfig.ClusterSecrets secrets = config.clusterSecrets();
        this.settings = new LookupSettings(settings.requestTimeout(), settings.maxRetries(), settings.retryDelay(),
                settings.retryJitter(), settings.budget(), secrets.freshFor().dividedBy(3), secrets.freshFor(),
                secrets.maxStale(), secrets.cacheSize(), settings.breakerRequests(), settings.breakerFailureRatio(),
                settings.breakerDelay());
        this.ticker = ticker;
        this.executor = executor;
        this.environment = environment;
        this.clients = clients;
        if (secrets.enabled() && secrets.label().isBlank()) {
            throw new IllegalArgumentException("pod-identity.cluster-secrets.label must not be blank");
        }
    }

    /** Whether clusters are looked up as Secrets ({@code pod-identity.cluster-secrets.enabled}). */
    public boolean enabled() {
        return config.clusterSecrets().enabled();
    }

    /**
     * The cluster the Secret labelled with its id registers: at once when it is known and fresh,
     * else once it has been read, on a thread of the lookups.
     */
    public CompletableFuture<Optional<Registration>> find(String id) {
        Lookup current;
        try {
            current = lookup();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e); // no client to the Secrets: answered 503, retried
        }
        Optional<Found> fresh = current.cache().getIfFresh(id);
        if (fresh != null) {
            return CompletableFuture.completedFuture(fresh.map(Found::registration));
        }
        return CompletableFuture.supplyAsync(() -> current.cache().get(id).map(Found::registration), executor);
    }

    /** Forgets a cluster's Secret, once its cluster is closed: read again on its next admission. */
    public void forget(String id) {
        Lookup known = lookup;
        if (known != null) {
            known.cache().invalidate(id);
        }
    }

    private Lookup lookup() {
        Lookup known = lookup;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (lookup == null) {
                Config hosting = environment.get();
                String namespace = config.clusterSecrets().namespace().or(() -> Optional.ofNullable(
                        hosting.getNamespace())).filter(ns -> !ns.isBlank()).orElseThrow(() ->
                        new LookupFailedException("the namespace of the cluster Secrets is unknown: set"
                                + " pod-identity.cluster-secrets.namespace"));
                ApiServerClient client = clients.from(hosting);
                PodIdentityConfig.Lookup limits = config.lookup();
                ApiGuard guard = new ApiGuard("cluster-secrets", settings,
                        LookupBulkhead.of(limits.maxConcurrent(), limits.maxQueued(), settings.budget()),
                        LookupListener.NONE);
                // A Secret holds its kubeconfig: one not asked for is not kept for max-stale.
                CachedLookup<String, Optional<Found>> cache = new CachedLookup<>("cluster Secret",
                        (String id, Optional<Found> previous) -> fetch(client, guard, namespace, id, previous),
                        settings, config.clusterIdleAfter(), ticker, executor, LookupListener.NONE);
                LOG.infof("clusters registered as Secrets labelled %s in namespace %s, read through %s",
                        config.clusterSecrets().label(), namespace, client.masterUrl());
                lookup = new Lookup(client, namespace, cache);
            }
            return lookup;
        }
    }

    private Optional<Found> fetch(ApiServerClient client, ApiGuard guard, String namespace, String id,
            Optional<Found> previous) {
        String label = config.clusterSecrets().label();
        String secrets = "/api/v1/namespaces/" + namespace + "/secrets";
        if (previous != null && previous.isPresent() && previous.get().name() != null) {
            // Known by name: read it again by name, which costs the API server nothing per Secret it
            // holds; by its label only once it is gone or no longer labelled with this id.
            String name = previous.get().name();
            String json = guard.call("GET Secret " + name + " of cluster " + id,
                    () -> client.getOrNull(secrets + "/" + name));
            JsonNode secret = json == null ? null : parse(id, json);
            if (secret != null && id.equals(secret.path("metadata").path("labels").path(label).asText(null))) {
                String version = version(List.of(secret));
                return previous.get().version().equals(version) ? previous
                        : Optional.of(found(namespace, id, version, List.of(secret)));
            }
        }
        String selector = URLEncoder.encode(label + "=" + id, StandardCharsets.UTF_8);
        String json = guard.call("GET Secrets of cluster " + id,
                () -> client.get(secrets + "?labelSelector=" + selector));
        List<JsonNode> items = new ArrayList<>();
        parse(id, json).path("items").forEach(items::add);
        if (items.isEmpty()) {
            if (previous != null && previous.isPresent()) {
                LOG.infof("cluster %s: no Secret registers it any more; it is no longer served", id);
            }
            return Optional.empty();
        }
        String version = version(items);
        if (previous != null && previous.isPresent() && previous.get().version().equals(version)) {
            return previous;
        }
        return Optional.of(found(namespace, id, version, items));
    }

    private static JsonNode parse(String id, String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new LookupFailedException("the Secrets of cluster " + id + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The registration the Secrets labelled with the id make: one is read, more than one is broken. */
    private Found found(String namespace, String id, String version, List<JsonNode> items) {
        Registration registration;
        String name = null;
        if (items.size() > 1) {
            List<String> names = new ArrayList<>();
            items.forEach(item -> names.add(item.path("metadata").path("name").asText()));
            registration = new Registration.Broken(id, names.size() + " Secrets in namespace " + namespace
                    + " have the label " + config.clusterSecrets().label() + "=" + id + " (" + String.join(", ", names)
                    + "): keep one", null, config.defaultCluster().onLookupFailure()
                    .orElse(dev.podidentity.config.LookupFailurePolicy.ADMIT));
        } else {
            name = items.get(0).path("metadata").path("name").asText();
            registration = ClusterSecret.read(id, items.get(0), config.defaultCluster());
        }
        if (registration instanceof Registration.Broken broken) {
            LOG.errorf("cluster %s cannot be served until its Secret is fixed: %s", id, broken.problem());
        } else {
            LOG.infof("cluster %s: registered by Secret %s/%s", id, namespace, name);
        }
        return new Found(version, name, registration);
    }

    /** What changes whenever any of the Secrets does: their uids and resource versions. */
    private static String version(List<JsonNode> items) {
        StringBuilder version = new StringBuilder();
        items.forEach(item -> version.append(item.path("metadata").path("uid").asText()).append('/')
                .append(item.path("metadata").path("resourceVersion").asText()).append(';'));
        return version.toString();
    }

    @PreDestroy
    void close() {
        Lookup known = lookup;
        if (known != null) {
            known.client().close();
        }
    }
}
