package dev.podidentity.http;

import org.jboss.logging.Logger;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;

/**
 * Runs, once and on a thread of its own, the JDK's one-time set-ups that the first admission would
 * otherwise wait for, from the very start of the process, while Quarkus starts on the main thread.
 *
 * <pre>{@code
 * JdkWarmUp.inBackground(); // first thing in main, before Quarkus starts
 * }</pre>
 *
 * <p>What it runs, each the largest piece of its kind in a profile of a cold start over HTTPS
 * (benchmarks/README.md, "Where the CPU of a cold start goes", and "The JDK's one-time set-ups
 * from the first instant"):
 * <ul>
 *   <li>the table of multiples of the P-256 generator, built in the interpreter the first time
 *       anything in the process multiplies that generator: signing the server's handshake with an
 *       ECDSA P-256 certificate, as cert-manager issues for the Deployment overlay. About a tenth
 *       of the CPU to the first patched answer;</li>
 *   <li>an X25519 and a P-384 key pair, the key shares of the client hello the JDK sends to the API
 *       server, P-384 being the first NIST curve of the groups {@link PodIdentityMain} sets;</li>
 *   <li>{@link java.math.BigDecimal}'s class initialisation (here through
 *       {@link Duration#dividedBy(Duration)}), which Jackson's parser triggers on the event loop
 *       when it reads the first admission.</li>
 * </ul>
 *
 * <p>Nothing is connected to and nothing read. With a single CPU there is no idle one and this
 * would only compete with start-up, so nothing runs; the first handshake then builds the table
 * itself. A failure is only logged: whatever needed the piece builds it when it needs it.
 */
public final class JdkWarmUp {

    private JdkWarmUp() {
    }

    /** Starts {@link #warm()} on a daemon thread when a second CPU can run it. */
    public static void inBackground() {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return;
        }
        Thread.ofPlatform().daemon().name("jdk-warm-up").start(JdkWarmUp::warm);
    }

    /**
     * Makes a P-256, an X25519 and a P-384 key pair and divides one duration by another.
     *
     * @return whether it did; a failure is only logged
     */
    static boolean warm() {
        try {
            ecKeyPair("secp256r1");
            KeyPairGenerator.getInstance("X25519").generateKeyPair();
            ecKeyPair("secp384r1");
            return Duration.ofSeconds(1).dividedBy(Duration.ofMillis(1)) == 1000;
        } catch (GeneralSecurityException | RuntimeException e) {
            // The logger only now: this runs before Quarkus has set up logging, which the first
            // look-up of a logger must not precede.
            Logger.getLogger(JdkWarmUp.class).debugf(e, "warming up the JDK failed; whatever needs it will set it up itself");
            return false;
        }
    }

    private static void ecKeyPair(String curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        generator.generateKeyPair();
    }
}
