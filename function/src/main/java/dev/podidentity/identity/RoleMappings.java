package dev.podidentity.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.podidentity.serviceaccount.KubernetesNames;
import dev.podidentity.serviceaccount.ServiceAccountRef;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ServiceAccount → role mapping of the AWS webhook's ConfigMap ({@code data.config}, a JSON
 * object keyed by {@code "namespace/serviceAccount"}), with namespace globs (beyond the AWS webhook).
 *
 * <pre>{@code
 * RoleMappings mappings = RoleMappings.parse("""
 *     {"shop/api": {"RoleARN": "arn:aws:iam::111122223333:role/api", "UseRegionalSTS": true}}""");
 * mappings.find(new ServiceAccountRef("shop", "api")); // Optional[RoleMapping[...]]
 * }</pre>
 *
 * <p>A key's namespace may also be a glob such as {@code team-?} or {@code team-[ab]} or end in an
 * asterisk, in the syntax of {@link java.nio.file.FileSystem#getPathMatcher} and matched by it,
 * and a lone asterisk stands for every namespace. A namespace that is not a DNS-1123 label matches
 * no glob: no path could hold some of them (NUL), and admission refuses them before any lookup.
 *
 * <p>Lookup order: the exact {@code ns/sa}, then namespace globs (the longest pattern wins, then the
 * alphabetically first), then the any-namespace entry. Field names match
 * case-insensitively, as Go's JSON decoding does. Invalid entries are skipped with a log line and
 * never stop the others.
 */
final class RoleMappings {

    public static final RoleMappings EMPTY = new RoleMappings(Map.of(), List.of(), Map.of());

    private static final Logger LOG = Logger.getLogger(RoleMappings.class);
    private static final JsonMapper JSON = new JsonMapper();

    private record Glob(String pattern, PathMatcher matcher, String serviceAccount, RoleMapping mapping) {
    }

    private final Map<String, RoleMapping> exact;
    private final List<Glob> globs;
    private final Map<String, RoleMapping> anyNamespace;

    private RoleMappings(Map<String, RoleMapping> exact, List<Glob> globs, Map<String, RoleMapping> anyNamespace) {
        this.exact = exact;
        this.globs = globs;
        this.anyNamespace = anyNamespace;
    }

    public Optional<RoleMapping> find(ServiceAccountRef ref) {
        RoleMapping mapping = exact.get(ref.namespace() + "/" + ref.name());
        if (mapping != null) {
            return Optional.of(mapping);
        }
        Path namespace = KubernetesNames.isNamespace(ref.namespace()) ? Path.of(ref.namespace()) : null;
        for (Glob glob : globs) {
            if (namespace != null && glob.serviceAccount().equals(ref.name()) && glob.matcher().matches(namespace)) {
                return Optional.of(glob.mapping());
            }
        }
        return Optional.ofNullable(anyNamespace.get(ref.name()));
    }

    /** Parses {@code data.config}; a value that is not a JSON object is an error, bad entries are skipped. */
    public static RoleMappings parse(String config) throws IOException {
        if (config == null || config.isBlank()) {
            return EMPTY;
        }
        JsonNode root = JSON.readTree(config);
        if (!root.isObject()) {
            throw new IOException("the mapping must be a JSON object keyed by \"namespace/serviceAccount\"");
        }
        Map<String, RoleMapping> exact = new HashMap<>();
        List<Glob> globs = new ArrayList<>();
        Map<String, RoleMapping> anyNamespace = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            int slash = key.indexOf('/');
            if (slash <= 0 || slash == key.length() - 1 || key.indexOf('/', slash + 1) >= 0) {
                LOG.warnf("mapping entry '%s' skipped: the key must be namespace/serviceAccount", key);
                continue;
            }
            RoleMapping mapping = mapping(key, entry.getValue());
            if (mapping == null) {
                continue;
            }
            String namespace = key.substring(0, slash);
            String serviceAccount = key.substring(slash + 1);
            if (namespace.equals("*")) {
                anyNamespace.put(serviceAccount, mapping);
            } else if (namespace.chars().anyMatch(c -> "*?[{".indexOf(c) >= 0)) {
                try {
                    globs.add(new Glob(namespace, FileSystems.getDefault().getPathMatcher("glob:" + namespace),
                            serviceAccount, mapping));
                } catch (IllegalArgumentException e) { // PatternSyntaxException
                    LOG.warnf("mapping entry '%s' skipped: bad namespace pattern: %s", key, e.getMessage());
                }
            } else {
                exact.put(key, mapping);
            }
        }
        globs.sort(Comparator.comparingInt((Glob g) -> -g.pattern().length()).thenComparing(Glob::pattern));
        return new RoleMappings(Map.copyOf(exact), List.copyOf(globs), Map.copyOf(anyNamespace));
    }

    private static RoleMapping mapping(String key, JsonNode value) {
        if (!value.isObject()) {
            LOG.warnf("mapping entry '%s' skipped: its value must be an object", key);
            return null;
        }
        JsonNode arn = GoJsonFields.get(value, "RoleARN");
        if (arn == null || !arn.isTextual() || arn.textValue().isBlank()) {
            LOG.warnf("mapping entry '%s' skipped: it has no RoleARN", key);
            return null;
        }
        JsonNode audience = GoJsonFields.get(value, "Audience");
        JsonNode sts = GoJsonFields.get(value, "UseRegionalSTS");
        JsonNode expiration = GoJsonFields.get(value, "TokenExpiration");
        if ((audience != null && !audience.isTextual() && !audience.isNull())
                || (sts != null && !sts.isBoolean() && !sts.isNull())
                || (expiration != null && !expiration.canConvertToLong() && !expiration.isNull())) {
            LOG.warnf("mapping entry '%s' skipped: Audience must be a string, UseRegionalSTS a boolean and "
                    + "TokenExpiration a number", key);
            return null;
        }
        String aud = audience == null || audience.isNull() || audience.textValue().isBlank() ? null
                : audience.textValue();
        Boolean regional = sts == null || sts.isNull() ? null : sts.booleanValue();
        // 0 means "not set", as in the AWS webhook.
        Long seconds = expiration == null || expiration.isNull() || expiration.longValue() == 0 ? null
                : expiration.longValue();
        return new RoleMapping(arn.textValue().strip(), aud, regional, seconds);
    }
}
