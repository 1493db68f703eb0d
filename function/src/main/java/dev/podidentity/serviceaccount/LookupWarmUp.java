package dev.podidentity.serviceaccount;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.function.Supplier;

/**
 * Builds a cluster's Kubernetes client, readies its reader of ServiceAccounts and the key exchange
 * of its first TLS handshake, on a background thread as the function starts: the first admission
 * after a scale from zero is already waiting, and it no longer pays for them. Nothing is connected
 * to and nothing is looked up. The cluster registry starts it for the default cluster, unless its
 * ServiceAccounts come from a file.
 *
 * <pre>{@code
 * LookupWarmUp.inBackground(() -> registry.api("default"));
 * }</pre>
 *
 * <p>Without the AOT cache, building the client (its HTTP client and TLS context) is a large share
 * of the first answer, done on one CPU while the other idles: warming up does it on that idle CPU
 * while Quarkus starts. With the cache, which makes loading classes cheap, what is left is code
 * that runs once, in the interpreter. The largest such piece on the first lookup is the JDK's table
 * of multiples of the P-256 generator, built when the first TLS 1.3 client hello makes its P-256
 * key share (the JDK offers one beside X25519's): about a tenth of a cold start's CPU time
 * (benchmarks/README.md, "Where the CPU of a cold start goes"). With a single CPU there is no idle one and warming
 * up would only compete with start-up, so nothing is warmed up. A warm-up that fails (no
 * credentials yet, say) only logs: the first admission meets the same failure and answers as
 * configured.
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

    /**
     * Builds the cluster's client, reads a ServiceAccount as lookups read them, and makes the key
     * pairs of a TLS 1.3 client hello.
     *
     * @return whether it did; a failure is only logged
     */
    static boolean warm(Supplier<ClusterApi> cluster) {
        try {
            cluster.get();
            ServiceAccountJson.annotations(SERVICE_ACCOUNT);
            // The key shares of a TLS 1.3 client hello, as the JDK makes them: X25519 and P-256.
            KeyPairGenerator.getInstance("X25519").generateKeyPair();
            KeyPairGenerator p256 = KeyPairGenerator.getInstance("EC");
            p256.initialize(new ECGenParameterSpec("secp256r1"));
            p256.generateKeyPair();
            return true;
        } catch (RuntimeException | IOException | GeneralSecurityException e) {
            LOG.debugf(e, "warming up the Kubernetes client failed; the first lookup will build it");
            return false;
        }
    }
}
