package dev.podidentity.cluster;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CallerCertificateTest {

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
}
