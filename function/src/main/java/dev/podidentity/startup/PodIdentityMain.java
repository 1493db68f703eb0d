package dev.podidentity.startup;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The function's entry point: two JDK settings that its TLS reads before anything else runs, then
 * Quarkus. Each setting is one of the cold-start measures that docs/startup.md lists; a value given
 * on the command line ({@code -D...}, for example in {@code JAVA_TOOL_OPTIONS}) wins, which is how
 * either is turned off.
 *
 * <pre>{@code
 * // what `java -jar quarkus-run.jar` runs
 * PodIdentityMain.main();
 * }</pre>
 *
 * <ul>
 *   <li>{@value #KEY_PBE_ITERATION_COUNT} one round: the PKCS12 key stores that Vert.x and Netty make
 *       from the HTTPS server's PEM key never leave memory, where their password sits beside them, so
 *       the rounds that protect a store file at rest protect nothing here. A PKCS12 file the process
 *       reads is still decrypted with the count it was written with.</li>
 *   <li>{@value #NAMED_GROUPS} with P-384 before P-256: the JDK's client hello to the API server
 *       carries a key share for the first NIST curve listed, and the first P-256 key pair a process
 *       makes builds a table of the curve's multiples in the interpreter, for a share that Go's TLS,
 *       the API server's, does not take. Every group of the JDK's default stays enabled.</li>
 * </ul>
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
