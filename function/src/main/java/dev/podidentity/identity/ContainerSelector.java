package dev.podidentity.identity;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which containers of a pod are mutated, from the pod's {@code skip-containers} and
 * {@code include-containers} annotations.
 *
 * <pre>{@code
 * var selector = ContainerSelector.parse("sidecar, istio-proxy", null);
 * selector.selects("app");          // true
 * selector.selects("istio-proxy");  // false
 * }</pre>
 *
 * @param skipped names never mutated
 * @param included when non-null, the only names that may be mutated (an allow-list)
 */
public record ContainerSelector(Set<String> skipped, Set<String> included) {

    /** Mutates every container. */
    public static final ContainerSelector ALL = new ContainerSelector(Set.of(), null);

    public ContainerSelector {
        skipped = Set.copyOf(skipped);
        included = included == null ? null : Set.copyOf(included);
    }

    /**
     * Reads the two annotation values; {@code null} means the annotation is absent. Names are
     * separated by commas; whitespace and double quotes around a name are dropped (the AWS webhook
     * parses one CSV record and does not trim, so {@code "a, b"} skipped {@code " b"} there).
     */
    public static ContainerSelector parse(String skipContainers, String includeContainers) {
        if (skipContainers == null && includeContainers == null) {
            return ALL;
        }
        return new ContainerSelector(names(skipContainers),
                includeContainers == null ? null : names(includeContainers));
    }

    /** Whether the container of that name is mutated. */
    public boolean selects(String containerName) {
        if (skipped.contains(containerName)) {
            return false;
        }
        return included == null || included.contains(containerName);
    }

    private static Set<String> names(String value) {
        Set<String> names = new LinkedHashSet<>();
        if (value == null) {
            return names;
        }
        for (String part : value.split(",", -1)) {
            String name = part.strip();
            if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
                name = name.substring(1, name.length() - 1).strip();
            }
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }
}
