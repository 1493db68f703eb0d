package dev.podidentity.startup;

import dev.podidentity.cluster.TestCertificates;

import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagFactory;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#tls
/**
 * The entry point's JDK settings, checked on what the JDK then does. A key put into a PKCS12 key
 * store, as Vert.x does with the HTTPS server's PEM key, is encrypted with one round of key
 * derivation, and still reads back; without the setting the JDK's default count applies. A TLS 1.3
 * client hello with the entry point's groups carries an X25519 and a P-384 key share, none for
 * P-256, and the groups are all of the JDK's default ones.
 */
class PodIdentityMainTest {

    private static final char[] PASSWORD = "in-memory".toCharArray();

    private final TestCertificates.Issued serving = TestCertificates.authority("CN=pod-identity");
    private String before;

    private String groupsBefore;

    @BeforeEach
    void saveProperties() {
        before = System.clearProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT);
        groupsBefore = System.clearProperty(PodIdentityMain.NAMED_GROUPS);
    }

    @AfterEach
    void restoreProperties() {
        restore(PodIdentityMain.KEY_PBE_ITERATION_COUNT, before);
        restore(PodIdentityMain.NAMED_GROUPS, groupsBefore);
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    @Test
    void keysPutIntoPkcs12StoresAreEncryptedWithOneRound() throws Exception {
        PodIdentityMain.inMemoryKeyStoresWithoutRounds();

        assertEquals("1", System.getProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT));
        assertEquals(1, roundsOfAStoredKey());
    }

    @Test
    void withoutTheSettingTheJdkDefaultApplies() throws Exception {
        assertEquals(10_000, roundsOfAStoredKey());
    }

    @Test
    void aCountSetOnTheCommandLineIsKept() throws Exception {
        System.setProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT, "20000");

        PodIdentityMain.inMemoryKeyStoresWithoutRounds();

        assertEquals("20000", System.getProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT));
        assertEquals(20_000, roundsOfAStoredKey());
    }

    @Test
    void theGroupsPutP384BeforeP256() {
        PodIdentityMain.p384BeforeP256();

        assertEquals(PodIdentityMain.GROUPS_P384_FIRST, System.getProperty(PodIdentityMain.NAMED_GROUPS));
    }

    @Test
    void groupsSetOnTheCommandLineAreKept() {
        System.setProperty(PodIdentityMain.NAMED_GROUPS, "secp521r1");

        PodIdentityMain.p384BeforeP256();

        assertEquals("secp521r1", System.getProperty(PodIdentityMain.NAMED_GROUPS));
    }

    @Test
    void theGroupsAreTheJdkDefaultOnesReordered() throws Exception {
        // The JDK reads jdk.tls.namedGroups once; nothing in this test JVM sets it before this
        // runs, and the sets are compared, so the order it was read with does not matter.
        Set<String> jdkDefault = Set.of(SSLContext.getDefault().getDefaultSSLParameters().getNamedGroups());

        assertEquals(jdkDefault, Set.of(PodIdentityMain.GROUPS_P384_FIRST.split(",")),
                "a JDK with other default groups: update GROUPS_P384_FIRST");
    }

    @Test
    void aClientHelloWithTheGroupsSharesX25519AndP384Keys() throws Exception {
        assertEquals(List.of(X25519, SECP384R1), keyShareGroups(PodIdentityMain.GROUPS_P384_FIRST.split(",")));
    }

    @Test
    void byDefaultTheJdkSharesAP256Key() throws Exception {
        assertEquals(List.of(X25519, SECP256R1),
                keyShareGroups(SSLContext.getDefault().getDefaultSSLParameters().getNamedGroups()));
    }

    @Test
    void theContractStatesTheValuesTheEntryPointSets() throws Exception {
        String contract = Files.readString(Path.of("../docs/contract.md"));

        assertTrue(contract.contains("| `" + PodIdentityMain.KEY_PBE_ITERATION_COUNT + "` | `1` |"),
                "docs/contract.md#tls does not state the key store rounds the entry point sets");
        assertTrue(contract.contains("| `" + PodIdentityMain.NAMED_GROUPS + "` | `" + PodIdentityMain.GROUPS_P384_FIRST
                + "` |"), "docs/contract.md#tls does not state the groups the entry point sets");
    }

    private static final int X25519 = 0x001d;
    private static final int SECP256R1 = 0x0017;
    private static final int SECP384R1 = 0x0018;

    /**
     * The groups of the key shares in the first client hello of a TLS 1.3 engine given {@code namedGroups}
     * (RFC 8446, 4.2.8).
     */
    private static List<Integer> keyShareGroups(String[] namedGroups) throws Exception {
        SSLEngine client = SSLContext.getDefault().createSSLEngine("kube-apiserver", 443);
        client.setUseClientMode(true);
        SSLParameters parameters = client.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        parameters.setNamedGroups(namedGroups);
        client.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        client.beginHandshake();
        client.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        assertEquals(22, out.get(), "a handshake record");
        out.position(out.position() + 4); // version, length
        assertEquals(1, out.get(), "a client hello");
        out.position(out.position() + 3 + 2 + 32); // length, legacy version, random
        skip(out, out.get() & 0xff); // session id
        skip(out, out.getShort() & 0xffff); // cipher suites
        skip(out, out.get() & 0xff); // compression methods
        int extensionsLength = out.getShort() & 0xffff;
        int extensionsEnd = out.position() + extensionsLength;
        while (out.position() < extensionsEnd) {
            int type = out.getShort() & 0xffff;
            int length = out.getShort() & 0xffff;
            if (type != 51) { // key_share
                skip(out, length);
                continue;
            }
            List<Integer> groups = new ArrayList<>();
            int sharesLength = out.getShort() & 0xffff;
            int sharesEnd = out.position() + sharesLength;
            while (out.position() < sharesEnd) {
                groups.add(out.getShort() & 0xffff);
                skip(out, out.getShort() & 0xffff);
            }
            return groups;
        }
        throw new AssertionError("no key_share extension in the client hello");
    }

    /** Moves past {@code length} bytes; the length must have been read before the call. */
    private static void skip(ByteBuffer buffer, int length) {
        buffer.position(buffer.position() + length);
    }

    /**
     * Puts the serving key into a new PKCS12 store, checks that it reads back, and returns the
     * PBKDF2 iteration count its encryption used, read from the store's encoding.
     */
    private int roundsOfAStoredKey() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("serving", serving.keys().getPrivate(), PASSWORD, serving.chain());
        assertEquals(serving.keys().getPrivate(), store.getKey("serving", PASSWORD));

        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        store.store(encoded, PASSWORD);
        for (ContentInfo content : new PKCS12PfxPdu(encoded.toByteArray()).getContentInfos()) {
            if (!content.getContentType().equals(PKCSObjectIdentifiers.data)) {
                continue; // the certificates, encrypted as a whole; the key is in a data bag
            }
            for (PKCS12SafeBag bag : new PKCS12SafeBagFactory(content).getSafeBags()) {
                if (bag.getType().equals(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag)) {
                    AlgorithmIdentifier encryption = ((PKCS8EncryptedPrivateKeyInfo) bag.getBagValue())
                            .getEncryptionAlgorithm();
                    assertEquals(PKCSObjectIdentifiers.id_PBES2, encryption.getAlgorithm());
                    var derivation = PBES2Parameters.getInstance(encryption.getParameters())
                            .getKeyDerivationFunc();
                    return PBKDF2Params.getInstance(derivation.getParameters()).getIterationCount().intValueExact();
                }
            }
        }
        throw new AssertionError("no encrypted key in the PKCS12 encoding");
    }
}
