package dev.podidentity.serviceaccount;

import dev.podidentity.cluster.TestCertificates;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which clusters' CAs make the lookup warm-up build the JDK's P-256 table: those with an ECDSA
 * P-256 key, from the CA file or the CA data, and no other.
 */
class P256AuthorityTest {

    static final String P256 = TestCertificates.authority("CN=k3s-server-ca").pem();
    static final String RSA = TestCertificates.rsaAuthority("CN=kubernetes").pem();
    static final String P384 = TestCertificates.ecAuthority("CN=p384-ca", "secp384r1").pem();

    static Config withCaFile(Path file) {
        return new ConfigBuilder(Config.empty()).withCaCertFile(file.toString()).build();
    }

    @Test
    void aCaFileWithAP256KeyIsOne(@TempDir Path dir) throws IOException {
        assertTrue(P256Authority.trustedBy(withCaFile(Files.writeString(dir.resolve("ca.crt"), P256))));
    }

    @Test
    void rsaAndOtherCurvesAreNot(@TempDir Path dir) throws IOException {
        assertFalse(P256Authority.trustedBy(withCaFile(Files.writeString(dir.resolve("rsa.crt"), RSA))));
        assertFalse(P256Authority.trustedBy(withCaFile(Files.writeString(dir.resolve("p384.crt"), P384))));
    }

    @Test
    void anyCaOfABundleCounts(@TempDir Path dir) throws IOException {
        assertTrue(P256Authority.trustedBy(withCaFile(Files.writeString(dir.resolve("bundle.crt"), RSA + P256))));
    }

    @Test
    void theCaDataOfAKubeconfigIsReadToo() {
        String data = Base64.getEncoder().encodeToString(P256.getBytes(StandardCharsets.US_ASCII));

        assertTrue(P256Authority.trustedBy(new ConfigBuilder(Config.empty()).withCaCertData(data).build()));
    }

    @Test
    void noCaOrAnUnreadableOneIsNot(@TempDir Path dir) throws IOException {
        assertFalse(P256Authority.trustedBy(Config.empty()));
        assertFalse(P256Authority.trustedBy(withCaFile(dir.resolve("absent.crt"))));
        assertFalse(P256Authority.trustedBy(withCaFile(Files.writeString(dir.resolve("garbage.crt"), "not a certificate"))));
    }
}
