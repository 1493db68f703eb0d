package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.Config;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Collection;

/**
 * Whether an API server is likely to need the JDK's P-256 table in the function's first handshake
 * with it, and the building of that table ahead of the handshake.
 *
 * <pre>{@code
 * if (client.trustsP256Authority()) {     // the cluster's CA has an ECDSA P-256 key
 *     P256Authority.buildGeneratorTable(); // on a spare CPU, before the first lookup
 * }
 * }</pre>
 *
 * <p>The first time a process multiplies the P-256 generator, the JDK builds a table of its
 * multiples, ~100 ms of CPU in the interpreter. Checking an ECDSA P-256 signature does it: a
 * certificate signed by a P-256 CA, or a handshake signed with a P-256 server key. An API server
 * whose CA has a P-256 key (k3s's, kubeadm's with {@code encryptionAlgorithm: ECDSA-P256}) usually
 * has one for itself too; one with an RSA CA (EKS's, kubeadm's default) needs no table, and building
 * it anyway took CPU from the start on both CPUs (benchmarks/README.md, "The P-256 table only for a
 * P-256 CA"). The server's own key is only known once connected: an RSA CA that signed a P-256
 * server key is missed, and that first handshake builds the table itself.
 */
final class P256Authority {

    /** The order of the P-256 (secp256r1) group: it names the curve among the JDK's. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    private P256Authority() {
    }

    /**
     * Whether a CA certificate of {@code config} ({@code caCertData}, else {@code caCertFile}) has a
     * P-256 key. None configured (the JDK's own trust), or unreadable: false, and the client's own
     * set-up reports what is wrong with it.
     */
    static boolean trustedBy(Config config) {
        try {
            return anyP256(ClusterCaTrust.caCertificates(config));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Whether one of {@code cas} has a P-256 key. */
    static boolean anyP256(Collection<? extends Certificate> cas) {
        for (Certificate ca : cas) {
            if (isP256(ca.getPublicKey())) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code key} is an EC key on P-256. */
    static boolean isP256(PublicKey key) {
        return key instanceof ECPublicKey ec && ec.getParams().getOrder().equals(P256_ORDER);
    }

    /** Builds the JDK's table of multiples of the P-256 generator, by making a P-256 key pair. */
    static void buildGeneratorTable() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        generator.generateKeyPair();
    }
}
