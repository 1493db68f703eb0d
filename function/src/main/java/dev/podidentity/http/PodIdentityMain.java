package dev.podidentity.http;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The function's entry point: Quarkus's own start, after two JDK settings that its TLS needs
 * before anything runs.
 *
 * <pre>{@code
 * // what `java -jar quarkus-run.jar` runs; with -Dkeystore.pkcs12.keyPbeIterationCount=10000 or
 * // -Djdk.tls.namedGroups=... on that command line, that setting stays as given
 * PodIdentityMain.main();
 * }</pre>
 *
 * <p><b>One round for key stores that never leave memory.</b> To serve HTTPS from PEM files (a
 * cert-manager Secret's {@code tls.crt} and {@code tls.key}), Vert.x puts the private key into a
 * PKCS12 key store in memory and reads it back twice, and Netty builds one more such store the first
 * time a TLS server context is made. The JDK encrypts every key it puts into a PKCS12 store with a
 * key derived from the store's password over {@code keystore.pkcs12.keyPbeIterationCount} rounds of
 * HMAC-SHA256, 10,000 by default, and each read derives it again. Those rounds protect a key store
 * file at rest against password guessing; these stores never leave the process, their password
 * sits beside them in the same heap, and the key itself is in that heap anyway. On a cold JVM the
 * rounds were about a fifth of the CPU to the first patched answer, on the path of both the server's
 * start and its first handshake (benchmarks/README.md, "PKCS12 rounds for key stores that never
 * leave memory"). One round is the smallest count the JDK accepts. Only the encryption of key stores
 * this process writes changes: a PKCS12 file it reads is decrypted with the count it was written
 * with, and the function writes none.
 *
 * <p><b>P-384 before P-256 among the TLS groups.</b> A TLS 1.3 client hello from the JDK carries
 * two key shares: one for the first X25519-like group of {@code jdk.tls.namedGroups} and one for
 * the first NIST curve. By default that curve is P-256, and the first P-256 key pair a process
 * makes builds the JDK's table of multiples of the P-256 generator, ~100 ms of CPU in the
 * interpreter, for a share the API server does not take: Go's TLS, kube-apiserver's, picks X25519.
 * With P-384 listed first among the curves the second share is a P-384 one, which needs no such
 * table; the list keeps every group of the JDK's default, in its order otherwise, so a server that
 * takes neither share still gets its group after a retry. Under Knative, where the function serves
 * plain HTTP on one CPU and the API server is its only TLS peer, the first patched answer came
 * ~150 ms sooner (benchmarks/README.md, "P-384 before P-256"). An API server's ECDSA P-256
 * signature still needs the table to be checked, and so does the HTTPS server's where the JDK's TLS
 * serves it ({@link ServerTlsEngine}).
 *
 * <p>A value set on the command line is kept for either property.
 */
@QuarkusMain
public final class PodIdentityMain {

    /** The JDK's system property (overriding the security property of the same name). */
    static final String KEY_PBE_ITERATION_COUNT = "keystore.pkcs12.keyPbeIterationCount";
    /** The JDK's system property: the TLS key exchange groups, in order of preference. */
    static final String NAMED_GROUPS = "jdk.tls.namedGroups";
    /**
     * JDK 25's default groups (its {@code NamedGroup.SupportedGroups}) with secp384r1 moved before
     * secp256r1; a test checks that it holds every group of the running JDK's default.
     */
    static final String GROUPS_P384_FIRST =
            "x25519,secp384r1,secp256r1,secp521r1,x448,ffdhe2048,ffdhe3072,ffdhe4096,ffdhe6144,ffdhe8192";

    private PodIdentityMain() {
    }

    public static void main(String... args) {
        inMemoryKeyStoresWithoutRounds();
        p384BeforeP256();
        Quarkus.run(args);
    }

    /** Sets {@link #KEY_PBE_ITERATION_COUNT} to one round unless it was set on the command line. */
    static void inMemoryKeyStoresWithoutRounds() {
        setUnlessGiven(KEY_PBE_ITERATION_COUNT, "1");
    }

    /** Sets {@link #NAMED_GROUPS} to {@link #GROUPS_P384_FIRST} unless it was set on the command line. */
    static void p384BeforeP256() {
        setUnlessGiven(NAMED_GROUPS, GROUPS_P384_FIRST);
    }

    private static void setUnlessGiven(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
