package dev.podidentity.e2e;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A self-hosted cluster whose {@code --service-account-issuer} is the function's URL for it: a token
 * the real API server signs for audience {@code sts.amazonaws.com} verifies the way AWS STS checks
 * it — discovery from the function, its {@code jwks_uri}, signature, {@code iss}, {@code aud},
 * {@code exp}, {@code sub} — and a token signed with another key does not.
 */
// Contract: docs/contract.md#oidc
class OidcIT {

    static Path work;
    static Path log;
    static Path clusterDir;
    static Map<String, String> cluster;
    static KubernetesClient k8s;
    static Process function;
    static int httpsPort;
    static String issuer;
    static HttpClient https;

    @BeforeAll
    static void selfHostedCluster() throws Exception {
        work = Harness.work("oidc");
        log = work.resolve("e2e.log");
        clusterDir = work.resolve("cluster");
        httpsPort = E2eEnvironment.freePort();
        issuer = "https://127.0.0.1:" + httpsPort + "/clusters/selfhosted";
        cluster = Harness.startCluster(work, clusterDir, "--issuer", issuer);
        k8s = new KubernetesClientBuilder().withConfig(
                Config.fromKubeconfig(Files.readString(clusterDir.resolve("admin.kubeconfig")))).build();
        Pki pki = new Pki(Path.of(cluster.get("CA_FILE")), clusterDir.resolve("pki/ca.key"), log);
        pki.issue(work.resolve("tls"));
        Path token = Files.writeString(work.resolve("api-token"), cluster.get("ADMIN_TOKEN"));
        String selfHosted = "-Dpod-identity.clusters.selfhosted.";
        String fetched = "-Dpod-identity.clusters.fetched.";
        https = HttpClient.newBuilder().sslContext(Pki.trusting(Path.of(cluster.get("CA_FILE")))).build();
        function = Harness.startFunction(work, List.of(
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + E2eEnvironment.freePort(),
                "-Dquarkus.http.ssl-port=" + httpsPort,
                "-Dquarkus.http.ssl.certificate.files=" + work.resolve("tls/tls.crt"),
                "-Dquarkus.http.ssl.certificate.key-files=" + work.resolve("tls/tls.key"),
                "-Dpod-identity.service-accounts-file=" + work.resolve("none.yaml"),
                selfHosted + "api-server-url=" + cluster.get("APISERVER_URL"), selfHosted + "token-file=" + token,
                selfHosted + "ca-file=" + cluster.get("CA_FILE"), selfHosted + "oidc.issuer=" + issuer,
                selfHosted + "oidc.public-key-files=" + cluster.get("SA_PUBLIC_KEY"),
                // the same cluster again, its keys fetched from its own API server instead of a file
                fetched + "api-server-url=" + cluster.get("APISERVER_URL"), fetched + "token-file=" + token,
                fetched + "ca-file=" + cluster.get("CA_FILE"),
                fetched + "oidc.issuer=https://127.0.0.1:" + httpsPort + "/clusters/fetched"),
                () -> get(URI.create(issuer + "/.well-known/openid-configuration")).statusCode() == 200);
        k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("apps").endMetadata().build())
                .create();
        k8s.serviceAccounts().inNamespace("apps").resource(new ServiceAccountBuilder().withNewMetadata().withName("app")
                .addToAnnotations("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/app").endMetadata()
                .build()).create();
    }

    @AfterAll
    static void stop() throws Exception {
        Harness.stop(function);
        if (k8s != null) {
            k8s.close();
        }
        Harness.stopCluster(work, clusterDir);
    }

    static HttpResponse<String> get(URI uri) throws Exception {
        return https.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The API server's own token for apps/app, audience sts.amazonaws.com. */
    static String token() {
        return k8s.serviceAccounts().inNamespace("apps").withName("app").tokenRequest(new TokenRequestBuilder()
                .withNewSpec().withAudiences("sts.amazonaws.com").withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    /** What STS does: discovery from the issuer, then its jwks_uri, then the key the token names. */
    static boolean verifiesLikeSts(SignedJWT jwt) throws Exception {
        String discoveryBody = get(URI.create(issuer + "/.well-known/openid-configuration")).body();
        var discovery = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().readTree(discoveryBody);
        if (!issuer.equals(discovery.get("issuer").asText())) {
            return false;
        }
        JWKSet keys = JWKSet.parse(get(URI.create(discovery.get("jwks_uri").asText())).body());
        JWK key = keys.getKeyByKeyId(jwt.getHeader().getKeyID());
        if (key == null || !jwt.verify(new RSASSAVerifier(key.toRSAKey()))) {
            return false;
        }
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        return issuer.equals(claims.getIssuer()) && claims.getAudience().contains("sts.amazonaws.com")
                && claims.getExpirationTime().after(new Date())
                && "system:serviceaccount:apps:app".equals(claims.getSubject());
    }

    @Test
    void aTokenOfTheRealApiServerVerifiesTheWayStsChecksIt() throws Exception {
        SignedJWT jwt = SignedJWT.parse(token());

        assertEquals(issuer, jwt.getJWTClaimsSet().getIssuer());
        assertTrue(verifiesLikeSts(jwt));
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRejected() throws Exception {
        SignedJWT real = SignedJWT.parse(token());
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        var other = generator.generateKeyPair();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(real.getHeader().getKeyID()).build(), real.getJWTClaimsSet());
        forged.sign(new RSASSASigner((RSAPrivateKey) other.getPrivate()));

        assertFalse(verifiesLikeSts(SignedJWT.parse(forged.serialize())));
    }

    @Test
    void ourKeyIdsAreTheApiServersOwnAndFetchingThemGivesTheSameKeys() throws Exception {
        JWKSet apiServer = JWKSet.parse(k8s.raw(cluster.get("APISERVER_URL") + "/openid/v1/jwks"));
        JWKSet fromFile = JWKSet.parse(get(URI.create(issuer + "/openid/v1/jwks")).body());
        JWKSet fetched = JWKSet.parse(get(URI.create("https://127.0.0.1:" + httpsPort
                + "/clusters/fetched/openid/v1/jwks")).body());

        List<String> expected = apiServer.getKeys().stream().map(JWK::getKeyID).toList();
        assertEquals(expected, fromFile.getKeys().stream().map(JWK::getKeyID).toList());
        assertEquals(expected, fetched.getKeys().stream().map(JWK::getKeyID).toList());
        assertEquals(SignedJWT.parse(token()).getHeader().getKeyID(), expected.get(0));
    }
}
