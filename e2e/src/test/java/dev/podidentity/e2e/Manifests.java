package dev.podidentity.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** The shipped manifests, rendered with {@code kubectl kustomize} as a user would apply them. */
final class Manifests {

    private Manifests() {
    }

    /** Renders a kustomization of {@code knative/} (installing kubectl from Debian if it is missing). */
    static List<HasMetadata> render(E2eEnvironment env, String kustomization) {
        Path dir = env.repository.resolve("knative").resolve(kustomization);
        String kubectl = kubectl(env);
        String yaml = Shell.run(env.work, env.log, 120, kubectl, "kustomize", dir.toString());
        return env.client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    }

    private static String kubectl(E2eEnvironment env) {
        try {
            Shell.run(env.work, env.log, 30, "kubectl", "version", "--client");
        } catch (IllegalStateException missing) {
            Shell.run(env.work, env.log, 600, "bash", "-c",
                    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client");
        }
        return "kubectl";
    }

    /** Creates the objects of these kinds for real, and every other built-in one as a server-side dry run. */
    static void apply(KubernetesClient client, List<HasMetadata> objects, List<String> forReal) {
        for (HasMetadata object : objects) {
            var resource = client.resource(object);
            if (forReal.contains(object.getKind())) {
                resource.createOr(existing -> existing.update());
            } else {
                resource.dryRun().createOr(existing -> existing.update());
            }
        }
    }
}
