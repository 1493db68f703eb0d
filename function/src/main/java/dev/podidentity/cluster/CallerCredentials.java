package dev.podidentity.cluster;

import javax.net.ssl.SSLSession;

/**
 * What a cluster's API server must present to the function: its bearer token (one of
 * {@link CallerTokens}), its client certificate ({@link CallerCertificate}), or both; with neither,
 * every caller is accepted.
 *
 * <pre>{@code
 * CallerCredentials callers = new CallerCredentials(CallerTokens.of(List.of("s3cret")), null);
 * callers.refusal("Bearer s3cret", null); // null: accepted
 * }</pre>
 *
 * @param tokens the accepted bearer tokens, or null: no token asked for
 * @param certificate the client certificate asked for, or null: none
 */
public record CallerCredentials(CallerTokens tokens, CallerCertificate certificate) {

    /** Nothing asked of callers. */
    public static final CallerCredentials ANYONE = new CallerCredentials(null, null);

    /** Whether every caller is accepted. */
    public boolean open() {
        return tokens == null && certificate == null;
    }

    /**
     * Why a caller is refused, or null when it is accepted.
     *
     * @param authorization its {@code Authorization} header, or null
     * @param session its TLS session, or null over plain HTTP
     */
    public String refusal(String authorization, SSLSession session) {
        if (tokens != null && !tokens.accepts(authorization)) {
            return "missing or wrong bearer token";
        }
        if (certificate != null && !certificate.acceptsSession(session)) {
            return "missing or wrong client certificate";
        }
        return null;
    }
}
