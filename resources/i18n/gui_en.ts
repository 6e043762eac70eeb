<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>ChatTexts</name>
    <message numerus="yes">
        <source>%n wait(s)</source>
        <translation>
            <numerusform>%n wait</numerusform>
            <numerusform>%n waits</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DetectDialog</name>
    <message numerus="yes">
        <source>Whole document (%n page(s))</source>
        <translation>
            <numerusform>Whole document (%n page)</numerusform>
            <numerusform>Whole document (%n pages)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Try again the %n page(s) where detection or reading text crashed before (marked ! in the thumbnails)</source>
        <translation>
            <numerusform>Try again the %n page where detection or reading text crashed before (marked ! in the thumbnails)</numerusform>
            <numerusform>Try again the %n pages where detection or reading text crashed before (marked ! in the thumbnails)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DetectionController</name>
    <message numerus="yes">
        <source>Detecting ({detector}) on %n page(s)</source>
        <translation>
            <numerusform>Detecting ({detector}) on %n page</numerusform>
            <numerusform>Detecting ({detector}) on %n pages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Detection stopped: {error}

%n page(s) detected before the error are kept.</source>
        <translation>
            <numerusform>Detection stopped: {error}

%n page detected before the error is kept.</numerusform>
            <numerusform>Detection stopped: {error}

%n pages detected before the error are kept.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n figure(s)</source>
        <translation>
            <numerusform>%n figure</numerusform>
            <numerusform>%n figures</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n page</numerusform>
            <numerusform>%n pages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; text read on %n page(s)</source>
        <translation>
            <numerusform>; text read on %n page</numerusform>
            <numerusform>; text read on %n pages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n corrected page(s) left alone — re-detect them and replace your edits?</source>
        <translation>
            <numerusform>%n corrected page was left alone — re-detect it and replace your edits?</numerusform>
            <numerusform>%n corrected pages were left alone — re-detect them and replace your edits?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ExportOptionsForm</name>
    <message numerus="yes">
        <source>{title}  (%n page(s))</source>
        <translation>
            <numerusform>{title}  (%n page)</numerusform>
            <numerusform>{title}  (%n pages)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FigureCommandTexts</name>
    <message numerus="yes">
        <source>Delete %n box(es)</source>
        <translation>
            <numerusform>Delete %n box</numerusform>
            <numerusform>Delete %n boxes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Detect %n page(s) ({detector})</source>
        <translation>
            <numerusform>Detect %n page ({detector})</numerusform>
            <numerusform>Detect %n pages ({detector})</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FigureInspector</name>
    <message numerus="yes">
        <source>%n boxes selected — select one box to inspect it</source>
        <translation>
            <numerusform>%n box selected — select one box to inspect it</numerusform>
            <numerusform>%n boxes selected — select one box to inspect it</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FigureList</name>
    <message numerus="yes">
        <source>%n figure(s)</source>
        <translation>
            <numerusform>%n figure</numerusform>
            <numerusform>%n figures</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n figure(s)</source>
        <translation>
            <numerusform>{shown} of %n figure</numerusform>
            <numerusform>{shown} of %n figures</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n proposal(s) under score {score} hidden</source>
        <translation>
            <numerusform>%n proposal under score {score} hidden</numerusform>
            <numerusform>%n proposals under score {score} hidden</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accept %n figure(s)</source>
        <translation>
            <numerusform>Accept %n figure</numerusform>
            <numerusform>Accept %n figures</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n figure(s)</source>
        <translation>
            <numerusform>Reject %n figure</numerusform>
            <numerusform>Reject %n figures</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n figure(s)</source>
        <translation>
            <numerusform>Delete %n figure</numerusform>
            <numerusform>Delete %n figures</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HandOutDialog</name>
    <message numerus="yes">
        <source>Handing out %n part(s)</source>
        <translation>
            <numerusform>Handing out %n part</numerusform>
            <numerusform>Handing out %n parts</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ImportController</name>
    <message numerus="yes">
        <source>Import cancelled; %n file(s) had come in.</source>
        <translation>
            <numerusform>Import cancelled; %n file had come in.</numerusform>
            <numerusform>Import cancelled; %n files had come in.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %n PDF(s) ({pages} pages).</source>
        <translation>
            <numerusform>Imported %n PDF ({pages} pages).</numerusform>
            <numerusform>Imported %n PDFs ({pages} pages).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message numerus="yes">
        <source>%n page(s) · {proposed} proposed · {accepted} accepted · {reviewed}/{pages} reviewed</source>
        <translation>
            <numerusform>%n page · {proposed} proposed · {accepted} accepted · {reviewed}/{pages} reviewed</numerusform>
            <numerusform>%n pages · {proposed} proposed · {accepted} accepted · {reviewed}/{pages} reviewed</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Remove “{title}” and its %n page(s) and figures from this project?

Records synthesized from its figures keep their text. This cannot be undone.</source>
        <translation>
            <numerusform>Remove “{title}” and its %n page and figures from this project?

Records synthesized from its figures keep their text. This cannot be undone.</numerusform>
            <numerusform>Remove “{title}” and its %n pages and figures from this project?

Records synthesized from its figures keep their text. This cannot be undone.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Exported %n record(s) to {folder}.</source>
        <translation>
            <numerusform>Exported %n record to {folder}.</numerusform>
            <numerusform>Exported %n records to {folder}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message numerus="yes">
        <source>Merging %n project(s)</source>
        <translation>
            <numerusform>Merging %n project</numerusform>
            <numerusform>Merging %n projects</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MergeReportView</name>
    <message numerus="yes">
        <source>%n project(s) merged</source>
        <translation>
            <numerusform>%n project merged</numerusform>
            <numerusform>%n projects merged</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conflict(s)</source>
        <translation>
            <numerusform>%n conflict</numerusform>
            <numerusform>%n conflicts</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecordCommandTexts</name>
    <message numerus="yes">
        <source>Accept %n record(s)</source>
        <translation>
            <numerusform>Accept %n record</numerusform>
            <numerusform>Accept %n records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n record(s)</source>
        <translation>
            <numerusform>Reject %n record</numerusform>
            <numerusform>Reject %n records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reset %n record(s)</source>
        <translation>
            <numerusform>Reset %n record</numerusform>
            <numerusform>Reset %n records</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecordsView</name>
    <message numerus="yes">
        <source>%n record(s)</source>
        <translation>
            <numerusform>%n record</numerusform>
            <numerusform>%n records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n record(s)</source>
        <translation>
            <numerusform>{shown} of %n record</numerusform>
            <numerusform>{shown} of %n records</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ReviewTexts</name>
    <message numerus="yes">
        <source>Accept %n proposed box(es)</source>
        <translation>
            <numerusform>Accept %n proposed box</numerusform>
            <numerusform>Accept %n proposed boxes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accepted %n proposed box(es) ({below} under the score threshold left as proposed).</source>
        <translation>
            <numerusform>Accepted %n proposed box ({below} under the score threshold left as proposed).</numerusform>
            <numerusform>Accepted %n proposed boxes ({below} under the score threshold left as proposed).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accepted %n proposed box(es).</source>
        <translation>
            <numerusform>Accepted %n proposed box.</numerusform>
            <numerusform>Accepted %n proposed boxes.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SynthController</name>
    <message numerus="yes">
        <source>Synthesis job {job}: {state}, %n item(s) written.</source>
        <translation>
            <numerusform>Synthesis job {job}: {state}, %n item written.</numerusform>
            <numerusform>Synthesis job {job}: {state}, %n items written.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Synthesis job {job} cancelled (%n provider batch(es) asked to cancel; Resume collects what they answered).</source>
        <translation>
            <numerusform>Synthesis job {job} cancelled (%n provider batch asked to cancel; Resume collects what it answered).</numerusform>
            <numerusform>Synthesis job {job} cancelled (%n provider batches asked to cancel; Resume collects what they answered).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TeamController</name>
    <message numerus="yes">
        <source>Handed out %n part(s) into {folder}.</source>
        <translation>
            <numerusform>Handed out %n part into {folder}.</numerusform>
            <numerusform>Handed out %n parts into {folder}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Merged {projects}; %n conflict(s) (see Merge report).</source>
        <translation>
            <numerusform>Merged {projects}; %n conflict (see Merge report).</numerusform>
            <numerusform>Merged {projects}; %n conflicts (see Merge report).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ThumbnailModel</name>
    <message numerus="yes">
        <source>%n figure(s)</source>
        <translation>
            <numerusform>%n figure</numerusform>
            <numerusform>%n figures</numerusform>
        </translation>
    </message>
</context>
</TS>
