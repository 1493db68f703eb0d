package dev.podidentity.http;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The function's entry point: Quarkus's own start, after the one JVM setting its HTTPS server needs
 * before anything runs, with the JDK's one-time set-ups started beside it ({@link JdkWarmUp}).
 *
 * <pre>{@code
 * // what `java -jar quarkus-run.jar` runs; with -Dkeystore.pkcs12.keyPbeIterationCount=10000 on
 * // that command line, the JDK's default stays
 * PodIdentityMain.main();
 * }</pre>
 *
 * <p>Why: to serve HTTPS from PEM files (a cert-manager Secret's {@code tls.crt} and
 * {@code tls.key}), Vert.x puts the private key into a PKCS12 key store in memory and reads it back
 * twice, and Netty builds one more such store the first time a TLS server context is made. The JDK
 * encrypts every key it puts into a PKCS12 store with a key derived from the store's password over
 * {@code keystore.pkcs12.keyPbeIterationCount} rounds of HMAC-SHA256, 10,000 by default, and each
 * read derives it again. Those rounds protect a key store file at rest against password guessing;
 * these stores never leave the process, their password sits beside them in the same heap, and the
 * key itself is in that heap anyway. On a cold JVM the rounds were about a fifth of the CPU to the
 * first patched answer, on the path of both the server's start and its first handshake
 * (benchmarks/README.md, "PKCS12 rounds for key stores that never leave memory"). One round is the
 * smallest count the JDK accepts.
 *
 * <p>Only the encryption of key stores this process writes changes: a PKCS12 file it reads is
 * decrypted with the count it was written with, and the function writes none. A value set on the
 * command line is kept.
 */
@QuarkusMain
public final class PodIdentityMain {

    /** The JDK's system property (overriding the security property of the same name). */
    static final String KEY_PBE_ITERATION_COUNT = "keystore.pkcs12.keyPbeIterationCount";

    private PodIdentityMain() {
    }

    public static void main(String... args) {
        inMemoryKeyStoresWithoutRounds();
        JdkWarmUp.inBackground();
        Quarkus.run(args);
    }

    /** Sets {@link #KEY_PBE_ITERATION_COUNT} to one round unless it was set on the command line. */
    static void inMemoryKeyStoresWithoutRounds() {
        if (System.getProperty(KEY_PBE_ITERATION_COUNT) == null) {
            System.setProperty(KEY_PBE_ITERATION_COUNT, "1");
        }
    }
}
