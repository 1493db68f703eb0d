package dev.podidentity.oidc;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a self-hosted cluster's OpenID discovery document and JWKS to files, for users who host
 * them elsewhere (an S3 bucket, a static site), and prints the API server flags that go with them.
 *
 * <pre>{@code
 * ./oidc-documents.sh --issuer https://oidc.example.com/prod --key /etc/kubernetes/pki/sa.pub --out site/
 * # writes site/.well-known/openid-configuration and site/openid/v1/jwks
 * }</pre>
 */
public final class OidcDocumentsCommand {

    private OidcDocumentsCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String issuer = null;
        Path dir = null;
        List<Path> keyFiles = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--issuer" -> issuer = value;
                case "--key" -> keyFiles.add(value == null ? null : Path.of(value));
                case "--out" -> dir = value == null ? null : Path.of(value);
                default -> {
                    return usage(err, "unknown argument " + args[i]);
                }
            }
            i++;
        }
        if (issuer == null || dir == null || keyFiles.isEmpty() || keyFiles.contains(null)) {
            return usage(err, "--issuer, --key and --out are required");
        }
        try {
            List<PublicKey> keys = new ArrayList<>();
            for (Path file : keyFiles) {
                try {
                    keys.addAll(SigningKeys.readPem(Files.readString(file)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
                }
            }
            OidcDocuments docs = OidcDocuments.of(issuer, keys);
            Path discovery = dir.resolve(".well-known/openid-configuration");
            Path jwks = dir.resolve("openid/v1/jwks");
            Files.createDirectories(discovery.getParent());
            Files.createDirectories(jwks.getParent());
            Files.writeString(discovery, docs.discovery() + "\n");
            Files.writeString(jwks, docs.jwks() + "\n");
            out.println("wrote " + discovery + " and " + jwks);
            out.println("serve them at " + docs.issuer() + "/.well-known/openid-configuration and " + docs.jwksUri());
            out.println("kube-apiserver flags:");
            out.println("  --service-account-issuer=" + docs.issuer());
            out.println("  --service-account-jwks-uri=" + docs.jwksUri());
            for (Path file : keyFiles) {
                out.println("  --service-account-key-file=" + file.toAbsolutePath());
            }
            out.println("  --service-account-signing-key-file=<the private key of " + keyFiles.get(0).getFileName() + ">");
            out.println("  --api-audiences=sts.amazonaws.com  (plus the audiences you already use)");
            return 0;
        } catch (Exception e) {
            err.println("oidc-documents: " + e.getMessage());
            return 1;
        }
    }

    private static int usage(PrintStream err, String problem) {
        err.println("oidc-documents: " + problem);
        err.println("usage: oidc-documents --issuer https://... --key sa.pub [--key old.pub] --out DIR");
        return 2;
    }
}
