package dev.podidentity.serviceaccount;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * Builds a cluster's Kubernetes client and readies its reader of ServiceAccounts, on a background
 * thread as the function starts: the first admission after a scale from zero is already waiting,
 * and it no longer pays for them. Nothing is connected to and nothing is looked up. The cluster
 * registry starts it for the default cluster, unless its ServiceAccounts come from a file.
 *
 * <pre>{@code
 * LookupWarmUp.inBackground(() -> registry.api("default"));
 * }</pre>
 *
 * <p>Without the AOT cache, building the client (its HTTP client and TLS context) is a large share
 * of the first answer, done on one CPU while the other idles: warming up does it on that idle CPU
 * while Quarkus starts. With the cache, which makes loading classes cheap, what is left is code
 * that runs once, in the interpreter. The key exchange of the client's first TLS handshake needs
 * no cluster and is readied earlier, from the start of the process ({@code JdkWarmUp}). With a
 * single CPU there is no idle one and warming up would only compete with start-up, so nothing is
 * warmed up. A warm-up that fails (no credentials yet, say) only logs: the first admission meets
 * the same failure and answers as configured.
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
     * Builds the cluster's client and reads a ServiceAccount as lookups read them.
     *
     * @return whether it did; a failure is only logged
     */
    static boolean warm(Supplier<ClusterApi> cluster) {
        try {
            cluster.get();
            ServiceAccountJson.annotations(SERVICE_ACCOUNT);
            return true;
        } catch (RuntimeException | IOException e) {
            LOG.debugf(e, "warming up the Kubernetes client failed; the first lookup will build it");
            return false;
        }
    }
}
