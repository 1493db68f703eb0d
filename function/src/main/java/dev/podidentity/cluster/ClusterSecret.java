package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.PodIdentityConfig.Identity;
import dev.podidentity.serviceaccount.ClusterAccess;
import dev.podidentity.serviceaccount.KubernetesClients;

import io.fabric8.kubernetes.api.model.AuthInfo;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a cluster's {@link Registration} from its Secret: how to reach its API server, what its
 * API server presents to the function, and its settings, in the shapes platform tools already
 * write (docs/contract.md#cluster-secrets).
 *
 * <pre>{@code
 * @Inject PodIdentityConfig config;
 * JsonNode secret = entry; // a Secret as the API server answers it
 * Registration prod = ClusterSecret.read("prod-eu", secret, config.defaultCluster());
 * }</pre>
 *
 * <ul>
 *   <li>The API server: a kubeconfig under {@code value} (Cluster API's
 *       {@code <cluster>-kubeconfig} Secret) or {@code kubeconfig}, its context under
 *       {@code context}; or Argo CD's cluster Secret, {@code server} and {@code config} (JSON with
 *       {@code bearerToken} and {@code tlsClientConfig}). A kubeconfig from a Secret embeds its
 *       credentials: it may name no file and run no command.</li>
 *   <li>Its callers: {@code caller-token} and any {@code caller-token-<suffix>} (each accepted,
 *       for rotations), and/or {@code caller-certificate-subject} with {@code caller-ca.crt}. A
 *       Secret without either is not served: the shared endpoint is public.</li>
 *   <li>Every other key is a setting of {@link Identity}, named as its property is
 *       ({@code aws-default-region}, {@code config-map.enabled}, …), or {@code oidc.issuer}; each
 *       one it leaves out is the top level's.</li>
 * </ul>
 *
 * <p>Whatever is wrong is a {@link Registration.Broken} naming the Secret and the key, never an
 * exception: one broken Secret fails its cluster alone.
 */
final class ClusterSecret {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String TOKEN = "caller-token";
    static final String CERTIFICATE_SUBJECT = "caller-certificate-subject";
    static final String CERTIFICATE_CA = "caller-ca.crt";
    static final String OIDC_ISSUER = "oidc.issuer";
    /** How to reach the API server. */
    private static final Set<String> ACCESS = Set.of("value", "kubeconfig", "context", "server", "config");
    /** Argo CD's keys that say nothing the function uses. */
    private static final Set<String> ARGO_CD_ONLY = Set.of("name", "namespaces", "clusterResources", "project",
            "shard");
    /** Argo CD's {@code config} members the function cannot honour: refused rather than ignored. */
    private static final List<String> ARGO_CD_UNSUPPORTED = List.of("username", "password", "execProviderConfig",
            "awsAuthConfig", "proxyUrl");

    private ClusterSecret() {
    }

    /**
     * @param secret the Secret as the API server answers it
     * @param shared the top-level settings, for what the Secret leaves out
     */
    static Registration read(String id, JsonNode secret, Identity shared) {
        String name = "Secret " + secret.path("metadata").path("namespace").asText() + "/"
                + secret.path("metadata").path("name").asText();
        Map<String, String> data;
        try {
            data = data(secret);
        } catch (IllegalArgumentException e) {
            return broken(id, name, e.getMessage(), null, shared.onLookupFailure().orElse(LookupFailurePolicy.ADMIT));
        }
        Map<String, String> settingKeys = new TreeMap<>();
        data.forEach((key, value) -> {
            if (!ACCESS.contains(key) && !ARGO_CD_ONLY.contains(key) && !key.equals(TOKEN)
                    && !key.startsWith(TOKEN + "-") && !key.equals(CERTIFICATE_SUBJECT) && !key.equals(CERTIFICATE_CA)
                    && !key.equals(OIDC_ISSUER)) {
                settingKeys.put(key, value);
            }
        });
        CallerCredentials callers = null;
        LookupFailurePolicy onFailure = shared.onLookupFailure().orElse(LookupFailurePolicy.ADMIT);
        try {
            callers = callers(data);
            Identity own = settings(settingKeys);
            onFailure = own.onLookupFailure().orElse(onFailure);
            ClusterSettings settings = ClusterSettings.layered(id, access(name, data), own, shared);
            String issuer = data.get(OIDC_ISSUER);
            return new Registration.Usable(settings, callers,
                    issuer == null || issuer.isBlank() ? null : new Registration.Oidc(issuer.strip(), List.of()));
        } catch (IllegalArgumentException e) {
            return broken(id, name, e.getMessage(), callers, onFailure);
        } catch (RuntimeException e) {
            // Whatever a library makes of a value it cannot read: this Secret's problem alone.
            return broken(id, name, "cannot be read: " + e, callers, onFailure);
        }
    }

    private static Registration.Broken broken(String id, String name, String problem, CallerCredentials callers,
            LookupFailurePolicy onFailure) {
        return new Registration.Broken(id, name + ": " + problem, callers, onFailure);
    }

    /** The Secret's values, decoded. */
    private static Map<String, String> data(JsonNode secret) {
        Map<String, String> data = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = secret.path("data").fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            try {
                data.put(field.getKey(), new String(Base64.getDecoder().decode(field.getValue().asText()),
                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("key " + field.getKey() + " is not base64", e);
            }
        }
        return data;
    }

    private static CallerCredentials callers(Map<String, String> data) {
        List<String> tokens = new ArrayList<>();
        new TreeMap<>(data).forEach((key, value) -> {
            if (key.equals(TOKEN) || key.startsWith(TOKEN + "-")) {
                tokens.add(value);
            }
        });
        CallerTokens callerTokens = null;
        if (!tokens.isEmpty()) {
            try {
                callerTokens = CallerTokens.of(tokens);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("every " + TOKEN + " key is empty", e);
            }
        }
        String subject = data.get(CERTIFICATE_SUBJECT);
        String ca = data.get(CERTIFICATE_CA);
        if ((subject == null || subject.isBlank()) && ca != null) {
            throw new IllegalArgumentException("key " + CERTIFICATE_CA + " without " + CERTIFICATE_SUBJECT
                    + ": whose certificate should it accept?");
        }
        CallerCertificate certificate = null;
        if (subject != null && !subject.isBlank()) {
            certificate = ca == null ? CallerCertificate.of(subject.strip()) : CallerCertificate.of(subject.strip(), ca);
        }
        if (callerTokens == null && certificate == null) {
            throw new IllegalArgumentException("no caller credentials: a cluster registered as a Secret needs key "
                    + TOKEN + " (or " + TOKEN + "-<suffix>) or " + CERTIFICATE_SUBJECT
                    + ", what its API server presents to the function");
        }
        return new CallerCredentials(callerTokens, certificate);
    }

    /** The Secret's settings, read and converted as the same properties are. */
    private static Identity settings(Map<String, String> keys) {
        Map<String, String> properties = new HashMap<>();
        keys.forEach((key, value) -> properties.put("cluster." + key, value));
        try {
            return new SmallRyeConfigBuilder()
                    .withMapping(Identity.class, "cluster")
                    .withSources(new PropertiesConfigSource(properties, "Secret", 100))
                    .withValidateUnknown(true)
                    .build()
                    .getConfigMapping(Identity.class, "cluster");
        } catch (ConfigValidationException e) {
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < e.getProblemCount(); i++) {
                problems.add(e.getProblem(i).getMessage().replaceAll("SRCFG\\d+: ", "").replace("cluster.", "key "));
            }
            throw new IllegalArgumentException(String.join("; ", problems), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(String.valueOf(e.getMessage()).replaceAll("SRCFG\\d+: ", "")
                    .replace("cluster.", "key "), e);
        }
    }

    private static ClusterAccess access(String name, Map<String, String> data) {
        String value = data.get("value");
        String kubeconfig = data.get("kubeconfig");
        if (value != null && kubeconfig != null && !value.equals(kubeconfig)) {
            throw new IllegalArgumentException("keys value and kubeconfig hold two different kubeconfigs: keep one");
        }
        String yaml = value != null ? value : kubeconfig;
        boolean argoCd = data.containsKey("server") || data.containsKey("config");
        if (yaml != null && argoCd) {
            throw new IllegalArgumentException("a kubeconfig (key " + (value != null ? "value" : "kubeconfig")
                    + ") and Argo CD's server and config: keep one way to reach the cluster");
        }
        if (yaml != null) {
            return kubeconfig(name, yaml, data.get("context"));
        }
        if (argoCd) {
            return argoCd(data.get("server"), data.get("config"));
        }
        throw new IllegalArgumentException("no way to reach the cluster's API server: needs key value (Cluster API),"
                + " kubeconfig, or server and config (Argo CD)");
    }

    private static ClusterAccess.Kubeconfig kubeconfig(String name, String yaml, String context) {
        io.fabric8.kubernetes.api.model.Config parsed;
        try {
            parsed = KubeConfigUtils.parseConfigFromString(yaml);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("its kubeconfig is not valid YAML of a kubeconfig: " + e.getMessage(), e);
        }
        String contextName = context == null || context.isBlank() ? parsed.getCurrentContext() : context.strip();
        NamedContext chosen = parsed.getContexts() == null ? null : parsed.getContexts().stream()
                .filter(c -> c.getName() != null && c.getName().equals(contextName)).findFirst().orElse(null);
        if (chosen == null || chosen.getContext() == null) {
            throw new IllegalArgumentException("its kubeconfig has no context "
                    + (contextName == null ? "(no current-context and no key context)" : "'" + contextName + "'"));
        }
        String userName = chosen.getContext().getUser();
        AuthInfo user = parsed.getUsers() == null ? null : parsed.getUsers().stream()
                .filter(u -> u.getName() != null && u.getName().equals(userName) && u.getUser() != null)
                .map(NamedAuthInfo::getUser).findFirst().orElse(null);
        if (user != null) {
            if (user.getExec() != null || user.getAuthProvider() != null) {
                throw new IllegalArgumentException("its kubeconfig's user runs a command (exec) or an auth provider:"
                        + " a kubeconfig in a Secret must carry its credentials (token or client certificate)");
            }
            if (user.getClientCertificate() != null || user.getClientKey() != null || user.getTokenFile() != null) {
                throw new IllegalArgumentException("its kubeconfig's user names files: a kubeconfig in a Secret must"
                        + " embed its credentials (client-certificate-data, client-key-data, token)");
            }
        }
        String clusterName = chosen.getContext().getCluster();
        (parsed.getClusters() == null ? List.<NamedCluster>of() : parsed.getClusters()).stream()
                .filter(c -> c.getName() != null && c.getName().equals(clusterName))
                .map(NamedCluster::getCluster).filter(c -> c != null && c.getCertificateAuthority() != null)
                .findFirst().ifPresent(c -> {
                    throw new IllegalArgumentException("its kubeconfig's cluster names a CA file: a kubeconfig in a"
                            + " Secret must embed it (certificate-authority-data)");
                });
        ClusterAccess.Kubeconfig access = new ClusterAccess.Kubeconfig(yaml, context == null || context.isBlank()
                ? null : context.strip(), name, false);
        KubernetesClients.kubeconfigConfig(access); // everything else fabric8 would refuse, now
        return access;
    }

    private static ClusterAccess.ApiServer argoCd(String server, String config) {
        if (server == null || server.isBlank()) {
            throw new IllegalArgumentException("key config without key server: Argo CD's server is the API server's URL");
        }
        if (config == null || config.isBlank()) {
            throw new IllegalArgumentException("key server without key config: Argo CD's config holds the credentials");
        }
        JsonNode json;
        try {
            json = JSON.readTree(config);
        } catch (IOException e) {
            throw new IllegalArgumentException("key config is not JSON: " + e.getMessage(), e);
        }
        if (!json.isObject()) {
            throw new IllegalArgumentException("key config is not a JSON object");
        }
        for (String unsupported : ARGO_CD_UNSUPPORTED) {
            if (json.hasNonNull(unsupported)) {
                throw new IllegalArgumentException("key config sets " + unsupported + ", which the function does not"
                        + " support: use bearerToken or tlsClientConfig's certData and keyData");
            }
        }
        JsonNode tls = json.path("tlsClientConfig");
        if (tls.hasNonNull("serverName") && !tls.get("serverName").asText().isBlank()) {
            throw new IllegalArgumentException("key config sets tlsClientConfig.serverName, which the function does"
                    + " not support: use the name its certificate holds in server");
        }
        String token = json.path("bearerToken").asText(null);
        String ca = pem(tls, "caData");
        String certificate = pem(tls, "certData");
        String key = pem(tls, "keyData");
        if ((certificate == null) != (key == null)) {
            throw new IllegalArgumentException("key config has " + (certificate == null ? "keyData without certData"
                    : "certData without keyData"));
        }
        if ((token == null || token.isBlank()) && certificate == null) {
            throw new IllegalArgumentException("key config has neither bearerToken nor tlsClientConfig.certData:"
                    + " the function needs credentials to read ServiceAccounts");
        }
        return new ClusterAccess.ApiServer(server.strip(), token == null || token.isBlank() ? null
                : ClusterAccess.Token.value(token.strip()), ca, tls.path("insecure").asBoolean(false), certificate, key);
    }

    /** Argo CD's {@code tlsClientConfig} members hold base64 of PEM. */
    private static String pem(JsonNode tls, String member) {
        String base64 = tls.path(member).asText(null);
        if (base64 == null || base64.isBlank()) {
            return null;
        }
        try {
            return new String(Base64.getDecoder().decode(base64.strip()), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key config's tlsClientConfig." + member + " is not base64", e);
        }
    }
}
