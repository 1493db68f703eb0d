package dev.podidentity.http;

import org.jboss.logging.Logger;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Runs, once and on a thread of its own, the one-time set-ups that the first admission would
 * otherwise wait for, from the very start of the process, while Quarkus starts on the main thread.
 *
 * <pre>{@code
 * JdkWarmUp.inBackground(System.getenv(), System.getProperties()); // first thing in main
 * }</pre>
 *
 * <p>What it runs, each the largest piece of its kind in a profile of a cold start over HTTPS
 * (benchmarks/README.md, "Where the CPU of a cold start goes", "The JDK's one-time set-ups from the
 * first instant" and "The HTTPS server through OpenSSL"):
 * <ul>
 *   <li>when the process serves HTTPS from PEM files given in its environment or on its command
 *       line ({@code QUARKUS_HTTP_SSL_CERTIFICATE_FILES}, {@code -Dquarkus.http.ssl.certificate.files}),
 *       netty-tcnative's OpenSSL library, which {@link ServerTlsEngine} needs before the port opens,
 *       loaded from the image's {@code java.library.path}. A certificate configured only in a file
 *       is not seen here: the library then loads on the main thread, as without this class;</li>
 *   <li>a JDK TLS context, set up and asked for its parameters, as Netty's first TLS class does and
 *       as the API server client needs: the JDK's TLS classes and cipher suite tables. It trusts
 *       nothing, so the JDK's {@code cacerts} is not read;</li>
 *   <li>an X25519 and a P-384 key pair, the key shares of the client hello the JDK sends to the API
 *       server, P-384 being the first NIST curve of the groups {@link PodIdentityMain} sets;</li>
 *   <li>{@link java.math.BigDecimal}'s class initialisation (here through
 *       {@link Duration#dividedBy(Duration)}), which Jackson's parser triggers on the event loop
 *       when it reads the first admission;</li>
 *   <li>last, and only where the JDK's TLS serves HTTPS because OpenSSL could not load, the JDK's
 *       table of multiples of the P-256 generator, built in the interpreter the first time anything
 *       in the process multiplies that generator, as signing the handshake with a P-256 key does.
 *       Where OpenSSL serves, nothing here needs it, and building it anyway took CPU from the start
 *       on two CPUs (benchmarks/README.md, "The P-256 table only for a P-256 CA"). Checking an API
 *       server's P-256 signatures needs it too: the lookup warm-up builds it for a cluster whose CA
 *       has such a key.</li>
 * </ul>
 *
 * <p>Nothing is connected to and nothing read. With a single CPU there is no idle one and this
 * would only compete with start-up, so nothing runs; whatever needs a piece builds it itself. A
 * failure is only logged, for the same reason.
 */
public final class JdkWarmUp {

    /** netty-tcnative's JNI library for this platform, as Netty names it (the image ships no other). */
    static final String OPENSSL_LIBRARY = "netty_tcnative_linux_x86_64";

    private JdkWarmUp() {
    }

    /** A one-time set-up this class runs. */
    enum Piece {
        /** netty-tcnative's library, loaded. */
        OPENSSL,
        /** A JDK TLS context and its parameters. */
        JDK_TLS,
        /** An X25519 key pair. */
        X25519,
        /** A P-384 key pair. */
        P384,
        /** {@link java.math.BigDecimal}'s class initialisation. */
        BIG_DECIMAL,
        /** The JDK's P-256 generator table. */
        P256_TABLE
    }

    /** Starts {@link #warm(boolean, BooleanSupplier)} on a daemon thread when a second CPU can run it. */
    public static void inBackground(Map<String, String> environment, Properties systemProperties) {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return;
        }
        boolean https = servesHttpsFromPem(environment, systemProperties);
        Thread.ofPlatform().daemon().name("jdk-warm-up").start(() -> warm(https, JdkWarmUp::loadOpenSsl));
    }

    /** Whether PEM certificate files for the HTTPS server are given on the command line or in the environment. */
    static boolean servesHttpsFromPem(Map<String, String> environment, Properties systemProperties) {
        return !systemProperties.getProperty("quarkus.http.ssl.certificate.files", "").isBlank()
                || !environment.getOrDefault("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", "").isBlank();
    }

    /**
     * Loads the OpenSSL library when {@code https} (through {@code loadOpenSsl}), then sets up a
     * JDK TLS context, makes an X25519 and a P-384 key pair, divides one duration by another and,
     * when the JDK's TLS will serve HTTPS (https without the library), builds the P-256 table.
     *
     * @return the pieces it set up; a failure is only logged
     */
    static Set<Piece> warm(boolean https, BooleanSupplier loadOpenSsl) {
        Set<Piece> done = EnumSet.noneOf(Piece.class);
        if (https && loadOpenSsl.getAsBoolean()) {
            done.add(Piece.OPENSSL);
        }
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(new KeyManager[0], new TrustManager[0], null);
            tls.getSupportedSSLParameters();
            done.add(Piece.JDK_TLS);
            KeyPairGenerator.getInstance("X25519").generateKeyPair();
            done.add(Piece.X25519);
            ecKeyPair("secp384r1");
            done.add(Piece.P384);
            if (Duration.ofSeconds(1).dividedBy(Duration.ofMillis(1)) == 1000) {
                done.add(Piece.BIG_DECIMAL);
            }
            if (https && !done.contains(Piece.OPENSSL)) {
                ecKeyPair("secp256r1");
                done.add(Piece.P256_TABLE);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            failed(e);
        }
        return done;
    }

    /**
     * Loads the library, and only that. Netty's {@code OpenSsl} class, whose checks of the library
     * then take ~7 % of the main thread's CPU as the HTTPS port opens, is not initialised here: it
     * logs, and a logger looked up on this thread while Quarkus sets up logging on the main thread
     * deadlocks the two (JBoss LogManager's {@code LogContext} initialisation against
     * {@code java.util.logging.LogManager}'s lock: a start hung so when this was tried).
     */
    static boolean loadOpenSsl() {
        try {
            System.loadLibrary(OPENSSL_LIBRARY);
            return true;
        } catch (UnsatisfiedLinkError | SecurityException e) {
            // Not on java.library.path (a run from the jar): Netty extracts it from the jar itself.
            failed(e);
            return false;
        }
    }

    private static void failed(Throwable e) {
        // The logger only now: this runs before Quarkus has set up logging, which the first
        // look-up of a logger must not precede.
        Logger.getLogger(JdkWarmUp.class).debugf(e, "warming up failed; whatever needs the piece will set it up itself");
    }

    private static void ecKeyPair(String curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        generator.generateKeyPair();
    }
}
