package dev.podidentity.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#caller-authentication
class CallerCertificateTest {

    @TempDir
    Path dir;

    /** A certificate with subject O=prod-eu, CN=kube-apiserver (test resource, public part only). */
    static Certificate[] caller() throws Exception {
        try (InputStream in = CallerCertificateTest.class.getResourceAsStream("/certificates/caller.crt")) {
            return new Certificate[] {CertificateFactory.getInstance("X.509").generateCertificate(in)};
        }
    }

    @Test
    void theSubjectMatchesInCanonicalForm() throws Exception {
        assertTrue(CallerCertificate.of("CN=kube-apiserver,O=prod-eu").accepts(caller()));
        assertTrue(CallerCertificate.of("cn=kube-apiserver, o=prod-eu").accepts(caller()));
    }

    @Test
    void anotherSubjectOrNoCertificateIsRefused() throws Exception {
        assertFalse(CallerCertificate.of("CN=kube-apiserver,O=prod-us").accepts(caller()));
        assertFalse(CallerCertificate.of("CN=kube-apiserver").accepts(caller()));
        assertFalse(CallerCertificate.of("CN=kube-apiserver,O=prod-eu").accepts(null));
        assertFalse(CallerCertificate.of("CN=kube-apiserver,O=prod-eu").accepts(new Certificate[0]));
    }

    @Test
    void aSubjectThatIsNotADistinguishedNameIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CallerCertificate.of("kube-apiserver"));

        assertEquals("caller certificate subject 'kube-apiserver' is not a distinguished name such as "
                + "CN=kube-apiserver,O=prod-eu", e.getMessage());
    }

    @Test
    void aCertificateWithTheRightSubjectFromAnotherClustersCaIsRefused() throws Exception {
        TestCertificates.Issued deltaCa = TestCertificates.authority("CN=delta-ca");
        TestCertificates.Issued epsilonCa = TestCertificates.authority("CN=epsilon-ca");
        Path caFile = deltaCa.writePem(dir.resolve("delta-ca.crt"));
        CallerCertificate delta = CallerCertificate.of("CN=kube-apiserver,O=delta", caFile, Duration.ZERO);

        assertTrue(delta.accepts(deltaCa.sign("CN=kube-apiserver,O=delta", false).chain()));
        assertFalse(delta.accepts(epsilonCa.sign("CN=kube-apiserver,O=delta", false).chain()),
                "delta's subject, signed by epsilon's CA");
        assertFalse(delta.accepts(TestCertificates.selfSigned("CN=kube-apiserver,O=delta").chain()), "self-signed");
        assertFalse(delta.accepts(deltaCa.sign("CN=kube-apiserver,O=epsilon", false).chain()), "another subject");
    }

    @Test
    void intermediatesAndASentRootChainToTheCa() throws Exception {
        TestCertificates.Issued root = TestCertificates.authority("CN=delta-root");
        TestCertificates.Issued intermediate = root.sign("CN=delta-intermediate", true);
        TestCertificates.Issued leaf = intermediate.sign("CN=kube-apiserver,O=delta", false);
        CallerCertificate delta = CallerCertificate.of("CN=kube-apiserver,O=delta",
                root.writePem(dir.resolve("root.crt")), Duration.ZERO);

        assertTrue(delta.accepts(leaf.chain()), "leaf, intermediate, root");
        assertTrue(delta.accepts(new Certificate[] {leaf.certificate(), intermediate.certificate()}));
        assertFalse(delta.accepts(new Certificate[] {leaf.certificate()}), "the intermediate is missing");
        assertTrue(delta.checksIssuer());
        assertFalse(CallerCertificate.of("CN=kube-apiserver,O=delta").checksIssuer());
    }

    @Test
    void aMissingOrEmptiedCaFileAcceptsNoOne() throws Exception {
        TestCertificates.Issued ca = TestCertificates.authority("CN=delta-ca");
        Certificate[] chain = ca.sign("CN=kube-apiserver,O=delta", false).chain();
        Path file = dir.resolve("ca.crt");
        CallerCertificate delta = CallerCertificate.of("CN=kube-apiserver,O=delta", file, Duration.ZERO);
        assertFalse(delta.accepts(chain), "missing");

        ca.writePem(file);
        assertTrue(delta.accepts(chain));

        java.nio.file.Files.writeString(file, "\n");
        assertFalse(delta.accepts(chain), "emptied");
    }
}
