package dev.podidentity.oidc;

import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.cluster.ClusterRegistry;
import dev.podidentity.cluster.ClusterSettings;
import dev.podidentity.cluster.Registration;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.config.WatchedFile;
import dev.podidentity.serviceaccount.CachedLookup;
import dev.podidentity.serviceaccount.ClusterApi;
import dev.podidentity.serviceaccount.LookupExecutor;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.LookupSettings;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * Serves, for each cluster with {@code pod-identity.clusters.<id>.oidc.issuer}, the OpenID discovery
 * document at {@code /clusters/<id>/.well-known/openid-configuration} and the JWKS at
 * {@code /clusters/<id>/openid/v1/jwks}: what AWS STS fetches to trust that cluster's tokens.
 * Public and read-only ({@code GET} only), cacheable, and nothing else of the cluster is reachable.
 *
 * <pre>{@code
 * curl https://pod-identity.example.com/clusters/prod/.well-known/openid-configuration
 * }</pre>
 *
 * <p>Keys come from the configured PEM files (re-read when they change), else from the cluster's
 * own {@code /openid/v1/jwks}, cached and guarded like ServiceAccount lookups, and checked
 * ({@link JwksCheck}) before either: a document that is not a set of public keys is answered 503
 * and never cached.
 */
@ApplicationScoped
class OidcEndpoints {

    static final String CACHE_CONTROL = "public, max-age=3600";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final Logger LOG = Logger.getLogger(OidcEndpoints.class);

    private final ClusterRegistry clusters;
    private final PodIdentityConfig config;
    private final LookupSettings lookupSettings;
    private final Ticker ticker;
    private final ExecutorService executor;
    private final Map<String, Keys> sources = new ConcurrentHashMap<>();

    /** Where one cluster's keys come from, and what that was decided from. */
    private record Keys(Registration.Oidc oidc, ClusterSettings settings, Source source) {
    }

    /** Where one cluster's JWKS comes from. */
    private interface Source {
        String jwks();
    }

    public OidcEndpoints(ClusterRegistry clusters, PodIdentityConfig config, LookupSettings lookupSettings,
            Ticker ticker, @LookupExecutor ExecutorService executor) {
        this.clusters = clusters;
        this.config = config;
        this.lookupSettings = lookupSettings;
        this.ticker = ticker;
        this.executor = executor;
    }

    void install(@Observes Router router) {
        router.route("/clusters/:cluster/.well-known/openid-configuration").order(-120)
                .handler(ctx -> serve(ctx, true));
        router.route("/clusters/:cluster" + OidcDocuments.JWKS_PATH).order(-120).handler(ctx -> serve(ctx, false));
    }

    private void serve(RoutingContext ctx, boolean discovery) {
        String cluster = ctx.pathParam("cluster");
        if (ctx.request().method() != HttpMethod.GET && ctx.request().method() != HttpMethod.HEAD) {
            ctx.response().setStatusCode(405).putHeader(HttpHeaders.ALLOW, "GET, HEAD").end();
            return;
        }
        if (ClusterRegistry.DEFAULT.equals(cluster)) {
            ctx.response().setStatusCode(404).end();
            return;
        }
        Context context = Vertx.currentContext();
        clusters.find(cluster).whenComplete((found, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                LOG.warnf("cannot serve the OIDC documents of cluster %s: %s", cluster, failure.getMessage());
                ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "10").end();
            } else if (found.orElse(null) instanceof Registration.Usable usable && usable.oidc() != null) {
                serve(ctx, discovery, usable);
            } else {
                ctx.response().setStatusCode(404).end();
            }
        }));
    }

    private void serve(RoutingContext ctx, boolean discovery, Registration.Usable cluster) {
        String issuer = cluster.oidc().issuer();
        ctx.vertx().executeBlocking(() -> {
            String jwks = source(cluster).jwks();
            return discovery ? discovery(issuer, jwks) : jwks;
        }, false).onSuccess(body -> ctx.response().setStatusCode(200)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
                .end(body)).onFailure(failure -> {
                    LOG.warnf("cannot serve the OIDC documents of cluster %s: %s", cluster.id(), failure.getMessage());
                    ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "10").end();
                });
    }

    /** The discovery document names the algorithms of the keys it points at. */
    private static String discovery(String issuer, String jwks) {
        List<String> algorithms = new ArrayList<>();
        try {
            for (var key : JSON.readTree(jwks).path("keys")) {
                algorithms.add(key.path("alg").asText("RS256"));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the JWKS is not JSON", e);
        }
        return OidcDocuments.discovery(issuer, algorithms);
    }

    /** The keys of a cluster: made again when its OIDC settings or its API server change. */
    private Source source(Registration.Usable cluster) {
        Keys known = sources.get(cluster.id());
        if (known != null && known.oidc().equals(cluster.oidc()) && known.settings().equals(cluster.settings())) {
            return known.source();
        }
        Registration.Oidc oidc = cluster.oidc();
        Source source = oidc.publicKeyFiles().isEmpty() ? fromApiServer(cluster.id(), clusters.served(cluster).api())
                : fromFiles(oidc.issuer(), oidc.publicKeyFiles());
        sources.put(cluster.id(), new Keys(oidc, cluster.settings(), source));
        return source;
    }

    private Source fromFiles(String issuer, List<Path> files) {
        List<WatchedFile<List<PublicKey>>> watched = files.stream()
                .map(path -> new WatchedFile<>(path, bytes -> SigningKeys.readPem(new String(bytes,
                        StandardCharsets.US_ASCII)), List.<PublicKey>of(), config.fileCheckInterval(), System::nanoTime))
                .toList();
        return () -> {
            List<PublicKey> keys = new ArrayList<>();
            watched.forEach(file -> keys.addAll(file.current()));
            if (keys.isEmpty()) {
                throw new LookupFailedException("no readable public key in " + files);
            }
            return OidcDocuments.of(issuer, keys).jwks();
        };
    }

    private Source fromApiServer(String cluster, ClusterApi api) {
        if (api == null) {
            return () -> {
                throw new LookupFailedException("cluster " + cluster + " has no API server client to fetch its JWKS from");
            };
        }
        CachedLookup<String, String> lookup = new CachedLookup<>("JWKS", path -> checkedJwks(api.cluster(),
                api.guard().call("GET " + path,
                        () -> api.client().get(path))),
                new LookupSettings(lookupSettings.requestTimeout(), lookupSettings.maxRetries(),
                        lookupSettings.retryDelay(), lookupSettings.retryJitter(), lookupSettings.budget(),
                        Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofHours(24), 10,
                        lookupSettings.breakerRequests(), lookupSettings.breakerFailureRatio(),
                        lookupSettings.breakerDelay()),
                ticker, executor);
        return () -> {
            String jwks = lookup.get(OidcDocuments.JWKS_PATH);
            if (jwks == null) {
                throw new LookupFailedException("the API server of cluster " + api.cluster() + " serves no JWKS");
            }
            return jwks;
        };
    }

    /** The API server's JWKS, refused (so neither cached here nor served) unless it is one of public keys. */
    private static String checkedJwks(String cluster, String jwks) {
        if (jwks == null) {
            return null;
        }
        try {
            return JwksCheck.checked(jwks);
        } catch (IllegalArgumentException e) {
            throw new LookupFailedException("the API server of cluster " + cluster + " serves a JWKS that is refused: "
                    + e.getMessage(), e);
        }
    }
}
