import java.io.*;
import java.nio.file.*;
import org.eclipse.rdf4j.model.Model;
import org.eclipse.rdf4j.query.parser.sparql.SPARQLParser;
import org.eclipse.rdf4j.rio.*;

/** RDF4J's Rio parsers and SPARQL parser (GraphDB's) on vaultkg's outputs and queries. */
public class Rdf4jCheck {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("parse")) {  // parse FORMAT IN OUT: IN read by Rio, written as N-Quads to OUT
            RDFFormat format = switch (args[1]) {
                case "turtle" -> RDFFormat.TURTLE;
                case "nquads" -> RDFFormat.NQUADS;
                default -> RDFFormat.JSONLD;
            };
            Model model;
            try (InputStream in = new FileInputStream(args[2])) {
                model = Rio.parse(in, "", format);
            }
            try (OutputStream out = new FileOutputStream(args[3])) {
                Rio.write(model, out, RDFFormat.NQUADS);
            }
        } else {  // query FILE…: each parsed by RDF4J's SPARQL parser
            for (int i = 1; i < args.length; i++) {
                new SPARQLParser().parseQuery(Files.readString(Path.of(args[i])), null);
            }
        }
    }
}
