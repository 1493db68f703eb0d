package dev.podidentity.cluster;

import dev.podidentity.config.WatchedFile;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * The client certificate an API server must present when the function terminates mTLS: its
 * subject, and — when the cluster has {@code caller-certificate-ca-file} — the CA it must chain to.
 * The TLS handshake verifies the chain against the trust store that all clusters share, so without
 * a CA of its own a cluster accepts its subject signed by any other cluster's CA; with one, the
 * presented chain is validated (PKIX) with that CA as the only trust anchor. Subjects compare in
 * canonical form, so spacing and the case of attribute names do not matter.
 *
 * <pre>{@code
 * CallerCertificate caller = CallerCertificate.of("CN=kube-apiserver,O=prod-eu",
 *         Path.of("/etc/pod-identity/clusters/prod-eu/callers-ca.crt"), Duration.ofSeconds(1));
 * caller.acceptsSession(sslSession);
 * }</pre>
 *
 * <p>A chain is validated once per TLS session: the verdict is kept in the session, for the CA
 * file's content it was made with, so the requests of one connection cost one validation.
 */
final class CallerCertificate {

    private static final String SESSION_KEY = "pod-identity.caller-certificate.";

    private final X500Principal subject;
    /** Where this cluster's verdict is kept in a TLS session (clusters may share a subject). */
    private final String sessionKey;
    /** The CA's anchors (a file's are re-read when it changes), or null when the subject alone is checked. */
    private final Supplier<Anchors> ca;

    /** One version of the CA file: the verdicts kept in sessions are for this object. */
    private record Anchors(PKIXParameters parameters, Set<X509Certificate> certificates) {
    }

    private CallerCertificate(X500Principal subject, Supplier<Anchors> ca) {
        this.subject = subject;
        this.ca = ca;
        this.sessionKey = SESSION_KEY + subject.getName() + "@" + System.identityHashCode(this);
    }

    /**
     * The subject alone: any certificate the shared trust store accepts with that subject.
     *
     * @throws IllegalArgumentException when the subject is not an RFC 2253 distinguished name
     */
    public static CallerCertificate of(String subject) {
        return new CallerCertificate(principal(subject), null);
    }

    /**
     * The subject, on a chain to a CA of the PEM file (re-read when it changes; while it is missing
     * or holds no certificate, no caller is accepted).
     *
     * @throws IllegalArgumentException when the subject is not an RFC 2253 distinguished name
     */
    public static CallerCertificate of(String subject, Path caFile, Duration checkInterval) {
        return new CallerCertificate(principal(subject),
                new WatchedFile<>(caFile, CallerCertificate::anchors, null, checkInterval, System::nanoTime)::current);
    }

    /**
     * The subject, on a chain to a CA of the PEM text.
     *
     * @throws IllegalArgumentException when the subject is not an RFC 2253 distinguished name, or
     *     the PEM holds no certificate
     */
    public static CallerCertificate of(String subject, String caPem) {
        Anchors anchors;
        try {
            anchors = anchors(caPem.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the caller CA is not PEM certificates: " + e.getMessage(), e);
        }
        if (anchors == null) {
            throw new IllegalArgumentException("the caller CA is empty");
        }
        return new CallerCertificate(principal(subject), () -> anchors);
    }

    private static X500Principal principal(String subject) {
        try {
            return new X500Principal(subject);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("caller certificate subject '" + subject
                    + "' is not a distinguished name such as CN=kube-apiserver,O=prod-eu", e);
        }
    }

    /** Null, which accepts no one, for a blank file: emptying it must not keep the old CA. */
    private static Anchors anchors(byte[] pem) throws GeneralSecurityException {
        if (new String(pem, java.nio.charset.StandardCharsets.US_ASCII).isBlank()) {
            return null;
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        Set<X509Certificate> certificates = new HashSet<>();
        for (Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem))) {
            X509Certificate x509 = (X509Certificate) c;
            anchors.add(new TrustAnchor(x509, null));
            certificates.add(x509);
        }
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("no certificate in the CA file");
        }
        PKIXParameters parameters = new PKIXParameters(anchors);
        // API server client certificates carry no CRL or OCSP location; rotation is the CA file's.
        parameters.setRevocationEnabled(false);
        return new Anchors(parameters, Set.copyOf(certificates));
    }

    /** Whether a CA of the cluster's own is checked, not only the subject. */
    public boolean checksIssuer() {
        return ca != null;
    }

    /** Whether the TLS session's client chain is acceptable; the verdict is kept in the session. */
    public boolean acceptsSession(SSLSession session) {
        if (session == null) {
            return false;
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException noClientCertificate) {
            return false;
        }
        if (ca == null) {
            return accepts(chain);
        }
        Anchors anchors = ca.get();
        if (anchors != null && session.getValue(sessionKey) == anchors) {
            return true;
        }
        boolean accepted = accepts(chain, anchors);
        if (accepted) {
            session.putValue(sessionKey, anchors);
        }
        return accepted;
    }

    /**
     * Whether the presented chain's leaf has the subject and, when a CA is configured, the chain
     * leads to it.
     */
    public boolean accepts(Certificate[] chain) {
        return accepts(chain, ca == null ? null : ca.get());
    }

    private boolean accepts(Certificate[] chain, Anchors anchors) {
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)
                || !subject.equals(leaf.getSubjectX500Principal())) {
            return false;
        }
        if (ca == null) {
            return true;
        }
        if (anchors == null) {
            return false; // the CA file is missing or was never readable: fail closed
        }
        List<Certificate> path = new ArrayList<>(Arrays.asList(chain));
        // A client may send the root too; the anchor is not part of the path PKIX validates.
        while (path.size() > 1 && anchors.certificates().contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        try {
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path),
                    (PKIXParameters) anchors.parameters().clone());
            return true;
        } catch (GeneralSecurityException | ClassCastException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return subject.getName();
    }
}
