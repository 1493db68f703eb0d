package dev.podidentity.cluster;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.serviceaccount.ClusterApi;
import dev.podidentity.serviceaccount.LookupWarmUp;

import io.quarkus.runtime.StartupEvent;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The clusters one deployment serves: {@value #DEFAULT} at {@code /mutate}, and each
 * {@code pod-identity.clusters.<id>} at {@code /clusters/<id>/mutate}. The default cluster is a
 * cluster like the others: all are read by {@link ClusterSettings} and built by
 * {@link ClusterFactory}. Each cluster has its own Kubernetes client, its own cache and its own
 * circuit breaker, so one cluster's answers can never come from another's; each is built on its
 * first request, so start-up does not grow with the number of clusters, and closed at shutdown.
 * Their settings, though, are all read at start, so that a mistake in any fails the start.
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
    private final ClusterFactory factory;
    /** Every cluster's settings, read at start so that a mistake in any of them fails the start. */
    private final Map<String, ClusterSettings> settings = new LinkedHashMap<>();
    private final Map<String, CallerToken> callerTokens = new ConcurrentHashMap<>();
    private final Map<String, CallerCertificate> callerCertificates = new ConcurrentHashMap<>();
    private final Map<String, ServedCluster> served = new ConcurrentHashMap<>();

    @Inject
    public ClusterRegistry(PodIdentityConfig config, ClusterFactory factory) {
        this.config = config;
        this.factory = factory;
        settings.put(DEFAULT, ClusterSettings.of(config, DEFAULT));
        for (String id : config.clusters().keySet()) {
            if (!ID.matcher(id).matches() || id.equals(DEFAULT)) {
                throw new IllegalArgumentException("cluster id '" + id + "' must be a DNS label other than '"
                        + DEFAULT + "' (lower-case letters, digits and '-')");
            }
            settings.put(id, ClusterSettings.of(config, id));
        }
        for (String id : settings.keySet()) {
            callerCertificate(id); // a malformed subject fails the start, not the first request
        }
    }

    /**
     * Says which clusters accept a certificate subject signed by any trusted CA, and builds the
     * default cluster's client in the background meanwhile (see {@link LookupWarmUp}).
     */
    void started(@Observes StartupEvent started) {
        for (String cluster : callerCertificates.keySet()) {
            if (!callerCertificates.get(cluster).checksIssuer()) {
                LOG.warnf("cluster %s authenticates callers by certificate subject alone: a certificate with "
                        + "subject %s signed by any CA of the shared trust store is accepted, another cluster's CA "
                        + "too. Set %s.caller-certificate-ca-file to that cluster's CA.", cluster,
                        callerCertificates.get(cluster), DEFAULT.equals(cluster) ? "pod-identity"
                                : "pod-identity.clusters." + cluster);
            }
        }
        if (settings.get(DEFAULT).access().usesApiServer()) {
            LookupWarmUp.inBackground(() -> api(DEFAULT));
        }
    }

    /** Whether the deployment serves that cluster. */
    public boolean knows(String cluster) {
        return settings.containsKey(cluster);
    }

    /** The token the cluster's API server must present, if the cluster requires one. */
    public Optional<CallerToken> callerToken(String cluster) {
        Path file = settings.get(cluster).callers().tokenFile();
        return Optional.ofNullable(file).map(path -> callerTokens.computeIfAbsent(cluster,
                c -> CallerToken.watching(path, config.fileCheckInterval())));
    }

    /** The client certificate the cluster's API server must present, if the cluster requires one. */
    public Optional<CallerCertificate> callerCertificate(String cluster) {
        CallerCertificate known = callerCertificates.get(cluster);
        if (known != null) {
            return Optional.of(known);
        }
        ClusterSettings.Callers callers = settings.get(cluster).callers();
        String subject = callers.certificateSubject();
        Path ca = callers.certificateCaFile();
        if (subject == null) {
            if (ca != null) {
                throw new IllegalArgumentException("cluster " + cluster + " has caller-certificate-ca-file but no "
                        + "caller-certificate-subject: whose certificate should it accept?");
            }
            return Optional.empty();
        }
        // One per cluster, made at start: it keeps the CA file watched and its verdicts in TLS sessions.
        return Optional.of(callerCertificates.computeIfAbsent(cluster, c -> ca == null ? CallerCertificate.of(subject)
                : CallerCertificate.of(subject, ca, config.fileCheckInterval())));
    }

    /** The API server of a cluster (built on first use, shared with its admissions); null when it reads a file. */
    public ClusterApi api(String cluster) {
        return served(cluster).api();
    }

    /** The configuration of a named cluster. */
    public PodIdentityConfig.Cluster configuration(String cluster) {
        return config.clusters().get(cluster);
    }

    /** The admission handler of a cluster this deployment {@linkplain #knows knows}. */
    public AdmissionHandler handler(String cluster) {
        return served(cluster).handler();
    }

    /** Built on first use: start-up does not grow with the number of clusters. */
    private ServedCluster served(String cluster) {
        ServedCluster known = served.get(cluster);
        return known != null ? known : served.computeIfAbsent(cluster, c -> factory.build(settings.get(c)));
    }

    @PreDestroy
    void close() {
        served.values().forEach(ServedCluster::close);
    }
}
