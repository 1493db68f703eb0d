package dev.podidentity.cluster;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

import javax.security.auth.x500.X500Principal;

/**
 * The client-certificate subject an API server must present when the function terminates mTLS.
 * The chain itself is verified by the TLS handshake against the configured trust store; this
 * checks whose certificate it is. Subjects compare in canonical form, so spacing and the case of
 * attribute names do not matter.
 *
 * <pre>{@code
 * CallerCertificate caller = CallerCertificate.of("CN=kube-apiserver,O=prod-eu");
 * caller.accepts(sslSession.getPeerCertificates());
 * }</pre>
 */
public final class CallerCertificate {

    private final X500Principal subject;

    private CallerCertificate(X500Principal subject) {
        this.subject = subject;
    }

    /**
     * @throws IllegalArgumentException when the subject is not an RFC 2253 distinguished name
     */
    public static CallerCertificate of(String subject) {
        try {
            return new CallerCertificate(new X500Principal(subject));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("caller certificate subject '" + subject
                    + "' is not a distinguished name such as CN=kube-apiserver,O=prod-eu", e);
        }
    }

    /** Whether the presented (already verified) chain's leaf certificate has the subject. */
    public boolean accepts(Certificate[] chain) {
        return chain != null && chain.length > 0 && chain[0] instanceof X509Certificate leaf
                && subject.equals(leaf.getSubjectX500Principal());
    }

    @Override
    public String toString() {
        return subject.getName();
    }
}
