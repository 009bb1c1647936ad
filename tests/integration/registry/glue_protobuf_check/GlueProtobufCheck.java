// Glue's own Protobuf schema parser and wire format (schema-registry-serde) on what Connectless writes and reads.
//   decode SCHEMA_FILE PAYLOAD_B64: parse the .proto text as Glue's deserializer does, decode the payload (message
//     index, then the message) and print the message's full name and the payload Glue's encoder makes of it again.
//   encode SCHEMA_FILE MESSAGE TEXT_FILE: build MESSAGE from protobuf text format and print Glue's payload (base64).
import com.amazonaws.services.schemaregistry.deserializers.protobuf.ProtobufSchemaParser;
import com.amazonaws.services.schemaregistry.deserializers.protobuf.ProtobufWireFormatDecoder;
import com.amazonaws.services.schemaregistry.serializers.protobuf.MessageIndexFinder;
import com.amazonaws.services.schemaregistry.serializers.protobuf.ProtobufWireFormatEncoder;
import com.amazonaws.services.schemaregistry.utils.ProtobufMessageType;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.TextFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

public class GlueProtobufCheck {
    public static void main(String[] args) throws Exception {
        String text = new String(Files.readAllBytes(Path.of(args[1])), StandardCharsets.UTF_8);
        Descriptors.FileDescriptor file = ProtobufSchemaParser.parse(text, "schema.proto");
        ProtobufWireFormatEncoder encoder = new ProtobufWireFormatEncoder(new MessageIndexFinder());
        if (args[0].equals("decode")) {
            byte[] payload = Base64.getDecoder().decode(args[2]);
            DynamicMessage message = (DynamicMessage) new ProtobufWireFormatDecoder(new MessageIndexFinder())
                .decode(payload, file, ProtobufMessageType.DYNAMIC_MESSAGE);
            System.out.println(message.getDescriptorForType().getFullName() + " "
                + Base64.getEncoder().encodeToString(encoder.encode(message, file)));
        } else {
            Descriptors.Descriptor type = null;
            for (Descriptors.Descriptor candidate : allMessages(file)) {
                if (candidate.getFullName().equals(args[2])) type = candidate;
            }
            DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
            TextFormat.merge(new String(Files.readAllBytes(Path.of(args[3])), StandardCharsets.UTF_8), builder);
            System.out.println(Base64.getEncoder().encodeToString(encoder.encode(builder.build(), file)));
        }
    }

    private static java.util.List<Descriptors.Descriptor> allMessages(Descriptors.FileDescriptor file) {
        java.util.List<Descriptors.Descriptor> found = new java.util.ArrayList<>();
        java.util.ArrayDeque<Descriptors.Descriptor> queue = new java.util.ArrayDeque<>(file.getMessageTypes());
        while (!queue.isEmpty()) {
            Descriptors.Descriptor next = queue.remove();
            found.add(next);
            queue.addAll(next.getNestedTypes());
        }
        return found;
    }
}
