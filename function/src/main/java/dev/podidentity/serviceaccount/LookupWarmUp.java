package dev.podidentity.serviceaccount;

import io.netty.handler.ssl.JdkSslContext;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds a cluster's Kubernetes client and readies its reader of ServiceAccounts, on a background
 * thread as the function starts: the first admission after a scale from zero is already waiting,
 * and it no longer pays for them. Nothing is connected to and nothing is looked up. The cluster
 * registry starts it for the default cluster, unless its ServiceAccounts come from a file.
 *
 * <pre>{@code
 * Registration.Usable home = (Registration.Usable) registry.find("default").join().orElseThrow();
 * LookupWarmUp.inBackground(() -> registry.served(home).api());
 * }</pre>
 *
 * <p>Without the AOT cache, building the client (its HTTP client and TLS context) is a large share
 * of the first answer, done on one CPU while the other idles: warming up does it on that idle CPU
 * while Quarkus starts. With the cache, which makes loading classes cheap, what is left is code
 * that runs once, in the interpreter. The key exchange of the client's first TLS handshake needs
 * no cluster and is readied earlier, from the start of the process ({@code JdkWarmUp}). For an
 * API server reached over HTTPS, Netty's table of the JDK's TLS defaults is set up here too: the
 * client's first connection sets it up otherwise, by reading the JDK's {@code cacerts}, ~35 ms on
 * the first admission's path (benchmarks/README.md, "Netty's TLS defaults off the first
 * admission"). When the cluster's CA has an ECDSA P-256 key, the JDK's P-256 table, which checking
 * its signatures needs, is built here too, and only then ({@link P256Authority}). With a single CPU
 * there is no idle one and warming up would only compete with start-up, so nothing is warmed up. A
 * warm-up that fails (no credentials yet, say) only logs: the first admission meets the same
 * failure and answers as configured.
 */
public final class LookupWarmUp {

    private static final Logger LOG = Logger.getLogger(LookupWarmUp.class);
    private static final String SERVICE_ACCOUNT = """
            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"warm-up","namespace":"warm-up",\
            "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/warm-up"}}}""";

    private LookupWarmUp() {
    }

    /** Warms the cluster up on a thread of its own, when a second CPU can run it. */
    public static void inBackground(Supplier<ClusterApi> cluster) {
        // With one CPU there is no idle one: warming up would only compete with start-up.
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return;
        }
        Thread.ofPlatform().daemon().name("lookup-warm-up").start(() -> warm(cluster));
    }

    /** A piece of the first lookup that a warm-up readies. */
    enum Piece {
        /** The cluster's client and the reader of ServiceAccounts. */
        CLIENT,
        /** Netty's table of the JDK's TLS defaults, which the client's first TLS connection needs. */
        NETTY_TLS_DEFAULTS,
        /** The JDK's P-256 table, for a cluster whose CA has a P-256 key. */
        P256_TABLE
    }

    /**
     * Builds the cluster's client and reads a ServiceAccount as lookups read them; then, for an API
     * server reached over HTTPS, sets up Netty's TLS defaults and, for a CA with a P-256 key, builds
     * the JDK's P-256 table.
     *
     * @return what it readied, nothing when the client could not be built; a failure is only logged
     */
    static Set<Piece> warm(Supplier<ClusterApi> cluster) {
        Set<Piece> done = EnumSet.noneOf(Piece.class);
        ClusterApi api;
        try {
            api = cluster.get();
            ServiceAccountJson.annotations(SERVICE_ACCOUNT);
        } catch (RuntimeException | IOException e) {
            LOG.debugf(e, "warming up the Kubernetes client failed; the first lookup will build it");
            return done;
        }
        done.add(Piece.CLIENT);
        if (!api.client().masterUrl().regionMatches(true, 0, "https:", 0, 6)) {
            return done;
        }
        try {
            nettyTlsDefaults();
            done.add(Piece.NETTY_TLS_DEFAULTS);
        } catch (ClassNotFoundException | LinkageError e) {
            LOG.debugf(e, "setting up Netty's TLS defaults failed; the first connection will set them up");
        }
        if (!api.client().trustsP256Authority()) {
            return done;
        }
        try {
            P256Authority.buildGeneratorTable();
            done.add(Piece.P256_TABLE);
        } catch (GeneralSecurityException | RuntimeException e) {
            LOG.debugf(e, "building the P-256 table failed; the first handshake will build it");
        }
        return done;
    }

    /**
     * Initialises Netty's {@link JdkSslContext}, as the client's first TLS connection would: its
     * class initialisation sets up a default JDK TLS context, which reads every certificate of the
     * JDK's {@code cacerts}, only to learn the default protocols and cipher suites. It logs, so it
     * must not run before Quarkus has set up logging ({@code JdkWarmUp} says why); this warm-up
     * starts after the application has started.
     */
    private static void nettyTlsDefaults() throws ClassNotFoundException {
        Class.forName(JdkSslContext.class.getName(), true, JdkSslContext.class.getClassLoader());
    }
}
