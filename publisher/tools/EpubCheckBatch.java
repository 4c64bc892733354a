// EpubCheckBatch: run EPUBCheck on many books in one JVM (a JVM start costs seconds).
// Usage: java -cp epubcheck.jar:DIR EpubCheckBatch OUTDIR book1.epub book2.epub ...
// Writes OUTDIR/<n>.json (EPUBCheck's JSON report) for the n-th book and prints "n exitcode" lines.
public class EpubCheckBatch {
    public static void main(String[] args) throws Exception {
        String outDir = args[0];
        for (int i = 1; i < args.length; i++) {
            String out = outDir + "/" + i + ".json";
            int code = new com.adobe.epubcheck.tool.EpubChecker().run(new String[]{args[i], "-q", "--json", out});
            System.out.println(i + " " + code);
        }
    }
}
