<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Actions</name>
    <message>
        <source>{tip} ({keys})</source>
        <translation>{tip}（{keys}）</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Undo {step}</source>
        <translation>撤销“{step}”(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo {step}</source>
        <translation>重做“{step}”(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;New project…</source>
        <translation>新建项目…(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open project…</source>
        <translation>打开项目…(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Import PDFs…</source>
        <translation>导入 PDF…(&amp;I)</translation>
    </message>
    <message>
        <source>Import PDF files (or drop PDFs and folders on the window)</source>
        <translation>导入 PDF 文件（也可将 PDF 或文件夹拖放到窗口上）</translation>
    </message>
    <message>
        <source>&amp;Export dataset…</source>
        <translation>导出数据集…(&amp;E)</translation>
    </message>
    <message>
        <source>Write the chosen records as a training dataset (counts per split shown first)</source>
        <translation>将选定的记录写出为训练数据集（先显示各划分的数量）</translation>
    </message>
    <message>
        <source>&amp;Hand out…</source>
        <translation>分发…(&amp;H)</translation>
    </message>
    <message>
        <source>Split this project into parts for several annotators: one project folder each, merged back later</source>
        <translation>将本项目拆成若干分包交给多位标注员：每人一个项目文件夹，之后再合并回来</translation>
    </message>
    <message>
        <source>&amp;Merge project…</source>
        <translation>合并项目…(&amp;M)</translation>
    </message>
    <message>
        <source>Bring parts handed out (or another project) back into this one, with a report of what changed</source>
        <translation>将分发出去的分包（或另一个项目）合并回本项目，并生成变更报告</translation>
    </message>
    <message>
        <source>&amp;Close project</source>
        <translation>关闭项目(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置…(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Accept all proposals on the page</source>
        <translation>采纳本页全部候选框(&amp;A)</translation>
    </message>
    <message>
        <source>Accept every proposed box on show on this page, as one undo step (those under the score threshold stay)</source>
        <translation>采纳本页显示的所有候选框，作为一步撤销操作（置信度低于阈值的保持不变）</translation>
    </message>
    <message>
        <source>Zoom &amp;in</source>
        <translation>放大(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;out</source>
        <translation>缩小(&amp;O)</translation>
    </message>
    <message>
        <source>Fit &amp;page</source>
        <translation>适合整页(&amp;P)</translation>
    </message>
    <message>
        <source>Fit &amp;width</source>
        <translation>适合宽度(&amp;W)</translation>
    </message>
    <message>
        <source>Show box &amp;tags</source>
        <translation>显示框标签(&amp;T)</translation>
    </message>
    <message>
        <source>Show or hide the tags (sub-label, detector, score) next to the boxes</source>
        <translation>显示或隐藏框旁的标签（分图号、检测器、置信度）</translation>
    </message>
    <message>
        <source>Show &amp;rejected boxes</source>
        <translation>显示已否决的框(&amp;R)</translation>
    </message>
    <message>
        <source>Show or hide the rejected boxes on the page</source>
        <translation>显示或隐藏本页已否决的框</translation>
    </message>
    <message>
        <source>&amp;Draw box</source>
        <translation>画框(&amp;D)</translation>
    </message>
    <message>
        <source>Draw a box: press W on the page, then drag; hold Shift to draw several (W)</source>
        <translation>画框：在页面上按 W，然后拖动；按住 Shift 可连续画多个（W）</translation>
    </message>
    <message>
        <source>&amp;Previous page</source>
        <translation>上一页(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Next page</source>
        <translation>下一页(&amp;N)</translation>
    </message>
    <message>
        <source>Mark page &amp;reviewed and next</source>
        <translation>标记本页已审核并翻到下一页(&amp;R)</translation>
    </message>
    <message>
        <source>Next &amp;unreviewed page</source>
        <translation>下一个未审核页(&amp;U)</translation>
    </message>
    <message>
        <source>Next page with pr&amp;oposals</source>
        <translation>下一个有候选框的页(&amp;O)</translation>
    </message>
    <message>
        <source>The next page that still has proposed boxes on show</source>
        <translation>下一个仍显示有候选框的页</translation>
    </message>
    <message>
        <source>Previous page with proposa&amp;ls</source>
        <translation>上一个有候选框的页(&amp;L)</translation>
    </message>
    <message>
        <source>The previous page that still has proposed boxes on show</source>
        <translation>上一个仍显示有候选框的页</translation>
    </message>
    <message>
        <source>Detect on &amp;current page</source>
        <translation>检测当前页(&amp;C)</translation>
    </message>
    <message>
        <source>Detect on &amp;selected pages</source>
        <translation>检测所选页(&amp;S)</translation>
    </message>
    <message>
        <source>Detect on &amp;whole document</source>
        <translation>检测整个文档(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Detect…</source>
        <translation>检测…(&amp;D)</translation>
    </message>
    <message>
        <source>Find figures with a detector of your choice</source>
        <translation>用所选检测器查找插图</translation>
    </message>
    <message>
        <source>C&amp;ancel background job</source>
        <translation>取消后台任务(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Synthesize…</source>
        <translation>合成…(&amp;S)</translation>
    </message>
    <message>
        <source>Write question / thinking / answer records about figures (count and cost shown first)</source>
        <translation>为插图生成“问题 / 思考 / 答案”记录（先显示数量和费用）</translation>
    </message>
    <message>
        <source>&amp;Generate now for selected figures</source>
        <translation>立即为所选插图生成(&amp;G)</translation>
    </message>
    <message>
        <source>Synthesize records for the selected figure(s) with the last-used kinds and languages</source>
        <translation>按上次使用的类型和语言，为所选插图合成记录</translation>
    </message>
    <message>
        <source>&amp;Annotate</source>
        <translation>标注(&amp;A)</translation>
    </message>
    <message>
        <source>Show the page and its figures</source>
        <translation>显示页面及其插图</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>Chat offline with a local model</source>
        <translation>与本地模型离线对话</translation>
    </message>
    <message>
        <source>Send &amp;figure to chat</source>
        <translation>发送插图到对话(&amp;F)</translation>
    </message>
    <message>
        <source>Attach the selected figure&apos;s crop to a chat question</source>
        <translation>将所选插图的裁剪图附加到对话问题中</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About ReMUD Desktop</source>
        <translation>关于 ReMUD Desktop(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>面板(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>跳转(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Detect</source>
        <translation>检测(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Synthesize</source>
        <translation>合成(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
</context>
<context>
    <name>AppearancePage</name>
    <message>
        <source>Same as the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light or dark as your operating system is set, and it follows when it changes.</source>
        <translation>与操作系统的浅色或深色设置一致，系统设置改变时随之改变。</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark text on light backgrounds.</source>
        <translation>浅色背景上的深色文字。</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Light text on dark backgrounds, easier on the eyes in a dim scanning room.</source>
        <translation>深色背景上的浅色文字，在光线昏暗的检查室里看着更舒适。</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Same as the system ({language})</source>
        <translation>跟随系统（{language}）</translation>
    </message>
    <message>
        <source>The language is chosen when ReMUD Desktop starts: a change takes effect when ReMUD Desktop is restarted.</source>
        <translation>语言在 ReMUD 启动时确定：更改后需重新启动 ReMUD 才会生效。</translation>
    </message>
    <message>
        <source>Restart ReMUD Desktop to see it in {language}.</source>
        <translation>重新启动 ReMUD 后，界面语言将改为 {language}。</translation>
    </message>
</context>
<context>
    <name>BoxItem</name>
    <message>
        <source>Figure {id}</source>
        <translation>图 {id}</translation>
    </message>
</context>
<context>
    <name>CanvasEditor</name>
    <message>
        <source>Move box</source>
        <translation>移动框</translation>
    </message>
    <message>
        <source>Resize box</source>
        <translation>调整框大小</translation>
    </message>
</context>
<context>
    <name>ChatControls</name>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Thinking budget</source>
        <translation>思考预算</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Loading (applies at the next Load)</source>
        <translation>加载（下次加载时生效）</translation>
    </message>
    <message>
        <source>Saved for the next session and for the remud chat command.</source>
        <translation>设置会保存，下次使用及 remud chat 命令都会沿用。</translation>
    </message>
</context>
<context>
    <name>ChatOptionFields</name>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Minimum only</source>
        <translation>仅最小值</translation>
    </message>
    <message>
        <source>Maximum only</source>
        <translation>仅最大值</translation>
    </message>
    <message>
        <source>Minimum and maximum</source>
        <translation>最小值和最大值</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> token</translation>
    </message>
    <message>
        <source>Budget forcing: a minimum thinking length (a wait string is inserted when the model stops too early) and a maximum (thinking is cut off there)</source>
        <translation>思考预算控制：思考长度的最小值（模型过早停止思考时插入续思词）和最大值（思考在此处截断）</translation>
    </message>
    <message>
        <source>Inserted when the model ends its thinking before the minimum; 等等， for Chinese</source>
        <translation>模型在达到最小值之前结束思考时插入；中文请用“等等，”</translation>
    </message>
    <message>
        <source>Written after the thinking when the maximum cuts it off</source>
        <translation>思考因达到最大值被截断时，接在思考之后写入</translation>
    </message>
    <message>
        <source>e.g. You are an experienced sonographer. Answer briefly.</source>
        <translation>例如：你是一名经验丰富的超声医师，请简要回答。</translation>
    </message>
    <message>
        <source>all layers</source>
        <translation>全部层</translation>
    </message>
    <message>
        <source>Layers put on the GPU: 0 runs on the CPU only, “all layers” (-1) puts the whole model there</source>
        <translation>放到 GPU 上的层数：0 表示只用 CPU 运行，“全部层”（-1）表示整个模型都放到 GPU 上</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Minimum</source>
        <translation>最小值</translation>
    </message>
    <message>
        <source>Maximum</source>
        <translation>最大值</translation>
    </message>
    <message>
        <source>Wait string</source>
        <translation>续思词（“Wait”）</translation>
    </message>
    <message>
        <source>Waits at most</source>
        <translation>续思次数上限</translation>
    </message>
    <message>
        <source>After a cut</source>
        <translation>截断后接</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>核采样阈值</translation>
    </message>
    <message>
        <source>Answer at most</source>
        <translation>答案长度上限</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>CPU 线程数</translation>
    </message>
</context>
<context>
    <name>ChatSettingsPage</name>
    <message>
        <source>A .gguf file, e.g. ReMUD-7B-Q4_K_M.gguf</source>
        <translation>.gguf 文件，例如 ReMUD-7B-Q4_K_M.gguf</translation>
    </message>
    <message>
        <source>Choose the chat model (GGUF)</source>
        <translation>选择对话模型（GGUF）</translation>
    </message>
    <message>
        <source>Optional: the mmproj .gguf that lets the model see images</source>
        <translation>可选：让模型能看图像的 mmproj .gguf 文件</translation>
    </message>
    <message>
        <source>Choose the vision projector (mmproj GGUF)</source>
        <translation>选择视觉投影器（mmproj GGUF）</translation>
    </message>
    <message>
        <source> pixels</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Larger images are scaled down to this many pixels before the model sees them</source>
        <translation>更大的图像会先缩小到这个像素数，再交给模型</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Model file</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>Vision projector</source>
        <translation>视觉投影器</translation>
    </message>
    <message>
        <source>Image size at most</source>
        <translation>图像大小上限</translation>
    </message>
    <message>
        <source>Default budget forcing</source>
        <translation>默认思考预算控制</translation>
    </message>
    <message>
        <source>Default sampling</source>
        <translation>默认采样</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Chat runs a GGUF model with llama.cpp on this computer, offline. These are the defaults the Chat tab and the &lt;tt&gt;remud chat&lt;/tt&gt; command start with.</source>
        <translation>对话功能在本机用 llama.cpp 离线运行 GGUF 模型。以下是“对话”标签页和 &lt;tt&gt;remud chat&lt;/tt&gt; 命令启动时使用的默认设置。</translation>
    </message>
</context>
<context>
    <name>ChatTab</name>
    <message>
        <source>Close this message</source>
        <translation>关闭此消息</translation>
    </message>
    <message>
        <source>In the project {name}</source>
        <translation>保存在项目 {name} 中</translation>
    </message>
    <message>
        <source>Personal chats ({file}): no project is open</source>
        <translation>个人对话（{file}）：未打开项目</translation>
    </message>
    <message>
        <source>Personal chats ({file}): the project is read-only</source>
        <translation>个人对话（{file}）：项目为只读</translation>
    </message>
    <message>
        <source>Choose the model&apos;s .gguf file first (Browse…).</source>
        <translation>请先选择模型的 .gguf 文件（浏览…）。</translation>
    </message>
    <message>
        <source>Chat model loaded: {name}</source>
        <translation>对话模型已加载：{name}</translation>
    </message>
    <message>
        <source>Load a model, then ask a question. Attach an ultrasound image with “Attach image…” or by dropping it on the box below.</source>
        <translation>先加载模型，再提出问题。可用“附加图像…”按钮附加超声图像，或把图像拖到下方输入框中。</translation>
    </message>
    <message>
        <source>Export the conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Cannot write {name}: {reason}.</source>
        <translation>无法写入 {name}：{reason}。</translation>
    </message>
    <message>
        <source>Conversation exported to {path}</source>
        <translation>对话已导出到 {path}</translation>
    </message>
    <message>
        <source>An answer is still being written: wait for it or press Stop.</source>
        <translation>回答仍在生成中：请等待，或按“停止”。</translation>
    </message>
    <message>
        <source>No model is loaded: choose a GGUF file above and press Load.</source>
        <translation>尚未加载模型：请在上方选择 GGUF 文件，然后按“加载”。</translation>
    </message>
    <message>
        <source>There is no question to answer again in this conversation.</source>
        <translation>此对话中没有可以重新回答的问题。</translation>
    </message>
    <message>
        <source>Stopping the answer…</source>
        <translation>正在停止回答…</translation>
    </message>
    <message>
        <source>Stopped: the answer so far is kept.</source>
        <translation>已停止：已生成的回答会保留。</translation>
    </message>
</context>
<context>
    <name>ChatTexts</name>
    <message>
        <source>thinking {tokens} / max {max} tokens</source>
        <translation>思考 {tokens} / 最多 {max} token</translation>
    </message>
    <message>
        <source>thinking {tokens} tokens</source>
        <translation>思考 {tokens} token</translation>
    </message>
    <message numerus="yes">
        <source>%n wait(s)</source>
        <translation>
            <numerusform>续思 %n 次</numerusform>
        </translation>
    </message>
    <message>
        <source>max reached</source>
        <translation>已达上限</translation>
    </message>
    <message>
        <source>{speed} tokens/s</source>
        <translation>{speed} token/秒</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>cut at the answer limit</source>
        <translation>已在答案长度上限处截断</translation>
    </message>
    <message>
        <source>{n} answer tokens</source>
        <translation>答案 {n} token</translation>
    </message>
    <message>
        <source>writing… {n} answer tokens</source>
        <translation>正在生成… 答案 {n} token</translation>
    </message>
</context>
<context>
    <name>ChatWorker</name>
    <message>
        <source>Stopped before the model wrote anything.</source>
        <translation>模型尚未写出任何内容就已停止。</translation>
    </message>
    <message>
        <source>The model could not be loaded: {reason}</source>
        <translation>无法加载模型：{reason}</translation>
    </message>
    <message>
        <source>Unexpected error: {kind}: {message}</source>
        <translation>意外错误：{kind}：{message}</translation>
    </message>
    <message>
        <source>No model is loaded: choose a GGUF file above and press Load.</source>
        <translation>尚未加载模型：请在上方选择 GGUF 文件，然后按“加载”。</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.gif);;All files (*)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.gif);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Ask about an ultrasound image or a finding…  (Enter sends, Shift+Enter: new line)</source>
        <translation>询问超声图像或某项所见…  （Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <source>Attach image…</source>
        <translation>附加图像…</translation>
    </message>
    <message>
        <source>Attach an image from a file (or drop one here)</source>
        <translation>从文件附加图像（或把图像拖到这里）</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer now (what was written is kept)</source>
        <translation>立即停止回答（已生成的内容会保留）</translation>
    </message>
    <message>
        <source>Cancel edit</source>
        <translation>取消编辑</translation>
    </message>
    <message>
        <source>{name} is not an image this app can read: choose a PNG or JPEG file.</source>
        <translation>{name} 不是本应用能读取的图像：请选择 PNG 或 JPEG 文件。</translation>
    </message>
    <message>
        <source>Attach an image</source>
        <translation>附加图像</translation>
    </message>
    <message>
        <source>Editing your question: Send answers it again and drops what came after it.</source>
        <translation>正在编辑你的问题：发送后会重新回答，并删除它之后的内容。</translation>
    </message>
    <message>
        <source>Resend</source>
        <translation>重新发送</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>Conversations</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Search conversations…</source>
        <translation>搜索对话…</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Start a new conversation</source>
        <translation>开始新对话</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>As Markdown…</source>
        <translation>导出为 Markdown…</translation>
    </message>
    <message>
        <source>As JSON…</source>
        <translation>导出为 JSON…</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>no model yet</source>
        <translation>尚无模型</translation>
    </message>
    <message>
        <source>Rename conversation</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>新名称：</translation>
    </message>
    <message>
        <source>Delete “{title}” and all its messages? This cannot be undone.</source>
        <translation>删除“{title}”及其所有消息？此操作无法撤销。</translation>
    </message>
    <message>
        <source>Delete this conversation and all its messages? This cannot be undone.</source>
        <translation>删除此对话及其所有消息？此操作无法撤销。</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
</context>
<context>
    <name>Crop</name>
    <message>
        <source>{width} × {height} px · native</source>
        <translation>{width} × {height} px · 原始像素</translation>
    </message>
    <message>
        <source>{width} × {height} px · rendered {dpi} dpi</source>
        <translation>{width} × {height} px · 按 {dpi} dpi 渲染</translation>
    </message>
</context>
<context>
    <name>CropView</name>
    <message>
        <source>Select a box</source>
        <translation>请选择一个框</translation>
    </message>
</context>
<context>
    <name>DetectDialog</name>
    <message>
        <source>{title} ({name}) — needs an endpoint</source>
        <translation>{title}（{name}）— 需要服务端点</translation>
    </message>
    <message>
        <source>Detect figures</source>
        <translation>检测图</translation>
    </message>
    <message>
        <source>Current page ({page})</source>
        <translation>当前页（第 {page} 页）</translation>
    </message>
    <message>
        <source>Selected pages ({count})</source>
        <translation>所选页（{count} 页）</translation>
    </message>
    <message>
        <source>Selected pages (select thumbnails first)</source>
        <translation>所选页（请先选择缩略图）</translation>
    </message>
    <message numerus="yes">
        <source>Whole document (%n page(s))</source>
        <translation>
            <numerusform>整个文档（%n 页）</numerusform>
        </translation>
    </message>
    <message>
        <source>Pages you corrected by hand are left alone; you will be asked about them at the end.</source>
        <translation>你手动修正过的页不会被改动；结束时会询问如何处理它们。</translation>
    </message>
    <message numerus="yes">
        <source>Try again the %n page(s) where detection or reading text crashed before (marked ! in the thumbnails)</source>
        <translation>
            <numerusform>重试之前检测或读取文字时崩溃的 %n 页（缩略图中标有 !）</numerusform>
        </translation>
    </message>
    <message>
        <source>Left unchecked, those pages are left out, so one bad page cannot stop every run.</source>
        <translation>不勾选时跳过这些页，这样一个坏页不会让每次运行都中断。</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页</translation>
    </message>
    <message>
        <source>Detector</source>
        <translation>检测器</translation>
    </message>
    <message>
        <source>Detect</source>
        <translation>检测</translation>
    </message>
    <message>
        <source>The run loads its own copy of {model} (about {needed} GiB; {free} GiB of memory is free now) and releases it when it ends.</source>
        <translation>本次运行会单独加载一份 {model}（约 {needed} GiB；当前可用内存 {free} GiB），结束后释放。</translation>
    </message>
    <message>
        <source>The Chat tab holds this model too: both copies must fit in memory, or the run is refused.</source>
        <translation>对话标签页也加载了该模型：两份副本必须都能放入内存，否则拒绝运行。</translation>
    </message>
    <message>
        <source>The Chat tab is writing an answer now: it goes on, and both are slower while they share the computer.</source>
        <translation>对话标签页正在生成回答：它会继续进行，两者共用计算机期间都会变慢。</translation>
    </message>
    <message>
        <source>Not enough memory is free: unload the model in the Chat tab or close other programs first.</source>
        <translation>可用内存不足：请先在对话标签页卸载模型，或关闭其他程序。</translation>
    </message>
</context>
<context>
    <name>DetectionController</name>
    <message>
        <source>Finding figures {done}/{total}</source>
        <translation>正在查找图 {done}/{total}</translation>
    </message>
    <message>
        <source>Detect figures</source>
        <translation>检测图</translation>
    </message>
    <message>
        <source>A detection run is already going; wait for it or cancel it first.</source>
        <translation>已有检测正在运行；请等待其完成或先取消。</translation>
    </message>
    <message>
        <source>Detecting ({detector}) on the whole document</source>
        <translation>正在检测（{detector}）：整个文档</translation>
    </message>
    <message numerus="yes">
        <source>Detecting ({detector}) on %n page(s)</source>
        <translation>
            <numerusform>正在检测（{detector}）：%n 页</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Detection stopped: {error}

%n page(s) detected before the error are kept.</source>
        <translation>
            <numerusform>检测已停止：{error}

出错前已检测的 %n 页已保留。</numerusform>
        </translation>
    </message>
    <message>
        <source>Detection stopped: {error}</source>
        <translation>检测已停止：{error}</translation>
    </message>
    <message>
        <source>The boxes were found, but reading captions failed: {error}</source>
        <translation>已找到框，但读取图注失败：{error}</translation>
    </message>
    <message>
        <source>Detection ({detector}) cancelled: {figures} on {pages}</source>
        <translation>检测（{detector}）已取消：{pages}上共 {figures}</translation>
    </message>
    <message>
        <source>Detection ({detector}) stopped: {figures} on {pages}</source>
        <translation>检测（{detector}）已停止：{pages}上共 {figures}</translation>
    </message>
    <message>
        <source>Detection ({detector}) done: {figures} on {pages}</source>
        <translation>检测（{detector}）完成：{pages}上共 {figures}</translation>
    </message>
    <message numerus="yes">
        <source>%n figure(s)</source>
        <translation>
            <numerusform>%n 个图</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n 页</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; text read on %n page(s)</source>
        <translation>
            <numerusform>；已读取 %n 页的文字</numerusform>
        </translation>
    </message>
    <message>
        <source>; text read on {read} of {total} pages</source>
        <translation>；已读取 {total} 页中 {read} 页的文字</translation>
    </message>
    <message>
        <source>; what was done so far is kept</source>
        <translation>；已完成的部分已保留</translation>
    </message>
    <message>
        <source>{summary}. {errors}</source>
        <translation>{summary}。{errors}</translation>
    </message>
    <message>
        <source>{summary}.</source>
        <translation>{summary}。</translation>
    </message>
    <message>
        <source>Corrected pages</source>
        <translation>已修正的页</translation>
    </message>
    <message numerus="yes">
        <source>%n corrected page(s) left alone — re-detect them and replace your edits?</source>
        <translation>
            <numerusform>%n 个已修正的页未被改动 — 要重新检测并替换你的修改吗？</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DetectorList</name>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt; &amp;nbsp;&lt;tt&gt;{name}&lt;/tt&gt; · uses the network</source>
        <translation>&lt;b&gt;{title}&lt;/b&gt; &amp;nbsp;&lt;tt&gt;{name}&lt;/tt&gt; · 需要联网</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Selecting records</source>
        <translation>正在筛选记录</translation>
    </message>
    <message>
        <source>Writing images</source>
        <translation>正在写入图像</translation>
    </message>
    <message>
        <source>Writing files</source>
        <translation>正在写入文件</translation>
    </message>
    <message>
        <source>{path} is a file: choose a folder name for the export.</source>
        <translation>{path} 是一个文件：请为导出选择一个文件夹名称。</translation>
    </message>
    <message>
        <source>{path} cannot be read ({reason}): choose another folder.</source>
        <translation>无法读取 {path}（{reason}）：请选择其他文件夹。</translation>
    </message>
    <message>
        <source>This folder holds an earlier ReMUD export: Export will ask before replacing it.</source>
        <translation>该文件夹中有之前的 ReMUD 导出：导出前会先询问是否替换。</translation>
    </message>
    <message>
        <source>{records} records in {conversations} conversations · {images} images</source>
        <translation>{records} 条记录，{conversations} 段对话 · {images} 张图像</translation>
    </message>
    <message>
        <source>Documents per split (train / validation / test): {counts}</source>
        <translation>各划分的文档数（训练 / 验证 / 测试）：{counts}</translation>
    </message>
    <message>
        <source>Pages per split (train / validation / test): {counts}</source>
        <translation>各划分的页数（训练 / 验证 / 测试）：{counts}</translation>
    </message>
    <message>
        <source>Dropped: {duplicates} near-duplicates, {overlaps} that overlap the test file, {leaks} whose image is in the test split</source>
        <translation>已剔除：{duplicates} 条近似重复，{overlaps} 条与测试文件重叠，{leaks} 条的图像出现在测试划分中</translation>
    </message>
    <message>
        <source>Dropped: {duplicates} near-duplicates, {overlaps} that overlap the test file</source>
        <translation>已剔除：{duplicates} 条近似重复，{overlaps} 条与测试文件重叠</translation>
    </message>
    <message>
        <source>Export dataset</source>
        <translation>导出数据集</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Export to</source>
        <translation>导出到</translation>
    </message>
    <message>
        <source>Cancel export</source>
        <translation>取消导出</translation>
    </message>
    <message>
        <source>Stop the export; nothing is left behind</source>
        <translation>停止导出；不会留下任何文件</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Counting…</source>
        <translation>正在统计…</translation>
    </message>
    <message>
        <source>Export to — choose a name and place</source>
        <translation>导出到 — 选择名称和位置</translation>
    </message>
    <message>
        <source>Choose the folder to export to.</source>
        <translation>请选择要导出到的文件夹。</translation>
    </message>
    <message>
        <source>{path} holds an earlier ReMUD export. Replace it with this export?</source>
        <translation>{path} 中有之前的 ReMUD 导出。要用本次导出替换它吗？</translation>
    </message>
    <message>
        <source>Exporting to {name}</source>
        <translation>正在导出到 {name}</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Export cancelled; nothing was written.</source>
        <translation>导出已取消；未写入任何内容。</translation>
    </message>
</context>
<context>
    <name>ExportOptionsForm</name>
    <message>
        <source>Accepted</source>
        <translation>已采纳</translation>
    </message>
    <message>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已否决</translation>
    </message>
    <message>
        <source>LLaMA-Factory ShareGPT</source>
        <translation>LLaMA-Factory ShareGPT</translation>
    </message>
    <message>
        <source>sharegpt/*.json, dataset_info.json and a ready LoRA config</source>
        <translation>sharegpt/*.json、dataset_info.json 和一份可直接使用的 LoRA 配置</translation>
    </message>
    <message>
        <source>JSONL</source>
        <translation>JSONL</translation>
    </message>
    <message>
        <source>jsonl/*.jsonl: one record per line, with its provenance</source>
        <translation>jsonl/*.jsonl：每行一条记录，附带其来源信息</translation>
    </message>
    <message>
        <source>Parquet</source>
        <translation>Parquet</translation>
    </message>
    <message>
        <source>parquet/*.parquet and a dataset card: datasets.load_dataset(folder) reads it</source>
        <translation>parquet/*.parquet 和数据集卡片：可用 datasets.load_dataset(folder) 读取</translation>
    </message>
    <message>
        <source>MCQ test set</source>
        <translation>选择题测试集</translation>
    </message>
    <message>
        <source>eval/mcq_test.jsonl: the multiple-choice test split, for remud eval</source>
        <translation>eval/mcq_test.jsonl：选择题的测试划分，供 remud eval 使用</translation>
    </message>
    <message>
        <source>Any</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>With a thinking trace</source>
        <translation>含思考过程</translation>
    </message>
    <message>
        <source>Without a thinking trace</source>
        <translation>不含思考过程</translation>
    </message>
    <message>
        <source>Whole documents</source>
        <translation>整个文档</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页</translation>
    </message>
    <message>
        <source>Looking…</source>
        <translation>正在查找…</translation>
    </message>
    <message>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Only records the judge scored at least this high (1–5); records without a score are left out when a minimum is set</source>
        <translation>只包含评审模型打分不低于此值（1–5）的记录；设置最低分后，没有分数的记录会被排除</translation>
    </message>
    <message>
        <source>Text-only records that belong to no document are always included</source>
        <translation>不属于任何文档的纯文本记录始终包含在内</translation>
    </message>
    <message>
        <source>The unit that never straddles two splits: records of one document (or page) all go to the same split</source>
        <translation>不会跨两个划分的单位：同一文档（或页）的记录都归入同一划分</translation>
    </message>
    <message>
        <source>The dataset entries in dataset_info.json are &lt;name&gt;_train, &lt;name&gt;_validation, &lt;name&gt;_test</source>
        <translation>dataset_info.json 中的数据集条目为 &lt;name&gt;_train、&lt;name&gt;_validation、&lt;name&gt;_test</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>native</source>
        <translation>原始尺寸</translation>
    </message>
    <message>
        <source>Figure crops larger than this many pixels are scaled down (aspect kept)</source>
        <translation>像素数超过此值的图裁剪图会被缩小（保持宽高比）</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>A record this similar (or more) to one in another split is dropped, so the validation and test splits hold nothing seen in training</source>
        <translation>与其他划分中某条记录的相似度达到此值（或更高）的记录会被剔除，使验证和测试划分中不含训练中见过的内容</translation>
    </message>
    <message>
        <source>No test file</source>
        <translation>无测试文件</translation>
    </message>
    <message>
        <source>Training records sharing an 8-word n-gram with this JSON/JSONL test file are dropped</source>
        <translation>与此 JSON/JSONL 测试文件共享 8 词 n-gram 的训练记录会被剔除</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>记录</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Kinds</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Languages</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Reasoning</source>
        <translation>推理</translation>
    </message>
    <message>
        <source>Minimum score</source>
        <translation>最低分数</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Splits</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Keep together</source>
        <translation>不拆分单位</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Formats and options</source>
        <translation>格式与选项</translation>
    </message>
    <message>
        <source>Write</source>
        <translation>写入</translation>
    </message>
    <message>
        <source>Dataset name</source>
        <translation>数据集名称</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Largest image</source>
        <translation>最大图像</translation>
    </message>
    <message>
        <source>Near-duplicates</source>
        <translation>近似重复</translation>
    </message>
    <message>
        <source>similarity across splits drops a record</source>
        <translation>跨划分相似度达到此值即剔除记录</translation>
    </message>
    <message>
        <source>Decontaminate</source>
        <translation>去污染</translation>
    </message>
    <message numerus="yes">
        <source>{title}  (%n page(s))</source>
        <translation>
            <numerusform>{title}（%n 页）</numerusform>
        </translation>
    </message>
    <message>
        <source>(no documents: text-only records only)</source>
        <translation>（无文档：仅有纯文本记录）</translation>
    </message>
    <message>
        <source>No records yet</source>
        <translation>尚无记录</translation>
    </message>
    <message>
        <source>Test set to decontaminate against</source>
        <translation>用于去污染的测试集</translation>
    </message>
    <message>
        <source>JSON or JSONL files (*.json *.jsonl);;All files (*)</source>
        <translation>JSON 或 JSONL 文件 (*.json *.jsonl);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose at least one record status.</source>
        <translation>请至少选择一种记录状态。</translation>
    </message>
    <message>
        <source>Choose at least one kind of record.</source>
        <translation>请至少选择一种记录类型。</translation>
    </message>
    <message>
        <source>Choose at least one language.</source>
        <translation>请至少选择一种语言。</translation>
    </message>
    <message>
        <source>Choose at least one document.</source>
        <translation>请至少选择一个文档。</translation>
    </message>
    <message>
        <source>Choose at least one format to write.</source>
        <translation>请至少选择一种要写入的格式。</translation>
    </message>
    <message>
        <source>Give the dataset a name (letters, digits, “_”, “-” and “.”).</source>
        <translation>请为数据集命名（字母、数字、“_”、“-”和“.”）。</translation>
    </message>
</context>
<context>
    <name>FigureCommandTexts</name>
    <message numerus="yes">
        <source>Delete %n box(es)</source>
        <translation>
            <numerusform>删除 %n 个框</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Detect %n page(s) ({detector})</source>
        <translation>
            <numerusform>检测 %n 页（{detector}）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FigureCommands</name>
    <message>
        <source>Mark accepted</source>
        <translation>标为已采纳</translation>
    </message>
    <message>
        <source>Mark rejected</source>
        <translation>标为已否决</translation>
    </message>
    <message>
        <source>Mark proposed</source>
        <translation>标为候选</translation>
    </message>
    <message>
        <source>Change label</source>
        <translation>更改类别</translation>
    </message>
    <message>
        <source>Edit text</source>
        <translation>编辑文字</translation>
    </message>
    <message>
        <source>Edit redaction masks</source>
        <translation>编辑遮罩</translation>
    </message>
    <message>
        <source>Mark page reviewed</source>
        <translation>将页标为已审核</translation>
    </message>
    <message>
        <source>Mark page not reviewed</source>
        <translation>将页标为未审核</translation>
    </message>
</context>
<context>
    <name>FigureInspector</name>
    <message>
        <source>Reading the text around this box…</source>
        <translation>正在读取此框周围的文字…</translation>
    </message>
    <message>
        <source>Select a box</source>
        <translation>请选择一个框</translation>
    </message>
    <message>
        <source>label</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>采纳</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>否决</translation>
    </message>
    <message>
        <source>Proposed</source>
        <translation>候选</translation>
    </message>
    <message>
        <source>Draw mask</source>
        <translation>绘制遮罩</translation>
    </message>
    <message>
        <source>Drag rectangles over the crop to black out patient data (name, ID, date, hospital)</source>
        <translation>在裁剪图上拖出矩形，涂黑患者信息（姓名、ID、日期、医院）</translation>
    </message>
    <message>
        <source>Remove mask</source>
        <translation>删除遮罩</translation>
    </message>
    <message>
        <source>Clear masks</source>
        <translation>清除遮罩</translation>
    </message>
    <message>
        <source>Re-read caption &amp;&amp; context</source>
        <translation>重新读取图注和上下文</translation>
    </message>
    <message>
        <source>OCR burned-in text</source>
        <translation>OCR 识别图中文字</translation>
    </message>
    <message numerus="yes">
        <source>%n boxes selected — select one box to inspect it</source>
        <translation>
            <numerusform>已选择 %n 个框——选择单个框以查看详情</numerusform>
        </translation>
    </message>
    <message>
        <source>The box was deleted</source>
        <translation>该框已被删除</translation>
    </message>
    <message>
        <source>Rendering…</source>
        <translation>正在渲染…</translation>
    </message>
    <message>
        <source>&lt;b&gt;{label}&lt;/b&gt; · page {page} · {status} · {detector} {score}&lt;br&gt;{document} · box {width} × {height} pt</source>
        <translation>&lt;b&gt;{label}&lt;/b&gt; · 第 {page} 页 · {status} · {detector} {score}&lt;br&gt;{document} · 框 {width} × {height} pt</translation>
    </message>
    <message>
        <source>{document}, page {page}, figure {id}</source>
        <translation>{document}，第 {page} 页，图 {id}</translation>
    </message>
    <message>
        <source>Reading the crop (OCR)…</source>
        <translation>正在识别裁剪图中的文字（OCR）…</translation>
    </message>
    <message>
        <source>The box changed while its text was read: read it again.</source>
        <translation>读取文字期间框已改变：请重新读取。</translation>
    </message>
    <message>
        <source>caption</source>
        <translation>图注</translation>
    </message>
    <message>
        <source>context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>section</source>
        <translation>章节</translation>
    </message>
    <message>
        <source>sub-label</source>
        <translation>分图号</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>Found {fields}.</source>
        <translation>已找到{fields}。</translation>
    </message>
    <message>
        <source>No caption or context found near this box.</source>
        <translation>此框附近未找到图注或上下文。</translation>
    </message>
    <message>
        <source>Re-read caption &amp; context</source>
        <translation>重新读取图注和上下文</translation>
    </message>
    <message>
        <source>Burned-in text read.</source>
        <translation>已读取图中文字。</translation>
    </message>
    <message>
        <source>No burned-in text found in this box.</source>
        <translation>此框中未找到图中文字。</translation>
    </message>
</context>
<context>
    <name>FigureList</name>
    <message>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Filter captions, sub-labels, sections…</source>
        <translation>筛选图注、分图号、章节…</translation>
    </message>
    <message>
        <source>score ≥ </source>
        <translation>置信度 ≥ </translation>
    </message>
    <message>
        <source>any score</source>
        <translation>不限置信度</translation>
    </message>
    <message>
        <source>Hide proposed boxes whose detector score is under this, here and on the page (remembered for this project)</source>
        <translation>隐藏检测器置信度低于此值的候选框，列表和页面上均隐藏（按项目记住）</translation>
    </message>
    <message numerus="yes">
        <source>%n figure(s)</source>
        <translation>
            <numerusform>%n 个图</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n figure(s)</source>
        <translation>
            <numerusform>显示 {shown} 个，共 %n 个图</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n proposal(s) under score {score} hidden</source>
        <translation>
            <numerusform>已隐藏 %n 个置信度低于 {score} 的候选框</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accept %n figure(s)</source>
        <translation>
            <numerusform>采纳 %n 个图</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n figure(s)</source>
        <translation>
            <numerusform>否决 %n 个图</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n figure(s)</source>
        <translation>
            <numerusform>删除 %n 个图</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FigurePanel</name>
    <message>
        <source>text-only record</source>
        <translation>纯文本记录</translation>
    </message>
    <message>
        <source>Caption</source>
        <translation>图注</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Select a record</source>
        <translation>请选择一条记录</translation>
    </message>
    <message>
        <source>Figure {id} is no longer in the project</source>
        <translation>图 {id} 已不在项目中</translation>
    </message>
    <message>
        <source>Rendering…</source>
        <translation>正在渲染…</translation>
    </message>
</context>
<context>
    <name>FigureStatus</name>
    <message>
        <source>proposed</source>
        <translation>候选</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>已采纳</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已否决</translation>
    </message>
    <message>
        <source>Proposed</source>
        <translation>候选</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>已采纳</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已否决</translation>
    </message>
</context>
<context>
    <name>FigureTableModel</name>
    <message>
        <source>Page</source>
        <translation>页</translation>
    </message>
    <message>
        <source>Sub-label</source>
        <translation>分图号</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Detector</source>
        <translation>检测器</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>置信度</translation>
    </message>
    <message>
        <source>Caption</source>
        <translation>图注</translation>
    </message>
</context>
<context>
    <name>GuardedCommand</name>
    <message>
        <source>Could not {step}: {reason}</source>
        <translation>无法完成“{step}”：{reason}</translation>
    </message>
    <message>
        <source>Could not {step}.</source>
        <translation>无法完成“{step}”。</translation>
    </message>
</context>
<context>
    <name>HandOutDialog</name>
    <message>
        <source>Page ranges of about equal length</source>
        <translation>长度大致相等的页范围</translation>
    </message>
    <message>
        <source>Whole documents</source>
        <translation>整个文档</translation>
    </message>
    <message>
        <source>Pages I choose for each part</source>
        <translation>为每个分包自选页</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Hand out parts of the project</source>
        <translation>分发项目的分包</translation>
    </message>
    <message>
        <source>Parts</source>
        <translation>分包</translation>
    </message>
    <message>
        <source>Split by</source>
        <translation>拆分方式</translation>
    </message>
    <message>
        <source>Number of parts</source>
        <translation>分包数量</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Write the parts into</source>
        <translation>将分包写入</translation>
    </message>
    <message>
        <source>Hand out</source>
        <translation>分发</translation>
    </message>
    <message>
        <source>Each part is a project folder of its own, for one annotator: it carries the documents of its pages with everything done on them so far. Work on the pages a part is given wins when the parts are merged back (File → Merge project…).</source>
        <translation>每个分包都是一个独立的项目文件夹，供一位标注员使用：它包含其所分配页所在的文档，以及迄今为止在这些页上完成的所有工作。分包合并回来时（文件 → 合并项目…），以分包在其所分配页上的工作为准。</translation>
    </message>
    <message>
        <source>One line per part: the documents and pages it gets, e.g. “Liver:1-40; Kidney” (a document by its title, file name or id; pages 1-based, all when left out). Pages no part gets stay here only.</source>
        <translation>每个分包一行：写明它分到的文档和页，例如“Liver:1-40; Kidney”（文档用标题、文件名或 ID 表示；页码从 1 开始，省略则为全部页）。未分给任何分包的页只留在本项目中。</translation>
    </message>
    <message>
        <source>Names are optional; a part is then called by its number.</source>
        <translation>名字可以不填；此时分包以编号命名。</translation>
    </message>
    <message>
        <source>Say which pages each part gets.</source>
        <translation>请写明每个分包分到哪些页。</translation>
    </message>
    <message>
        <source>{document} p. {pages}</source>
        <translation>{document} 第 {pages} 页</translation>
    </message>
    <message numerus="yes">
        <source>Handing out %n part(s)</source>
        <translation>
            <numerusform>正在分发 %n 个分包</numerusform>
        </translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Writing {part}</source>
        <translation>正在写入 {part}</translation>
    </message>
    <message>
        <source>Recording the parts</source>
        <translation>正在记录分包</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>ImageChip</name>
    <message>
        <source>Remove the image</source>
        <translation>移除图像</translation>
    </message>
</context>
<context>
    <name>ImportController</name>
    <message>
        <source>{name} ({n} of {count})</source>
        <translation>{name}（第 {n} 个，共 {count} 个）</translation>
    </message>
    <message>
        <source>cannot be read ({reason}).</source>
        <translation>无法读取（{reason}）。</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Import PDFs</source>
        <translation>导入 PDF</translation>
    </message>
    <message>
        <source>Open or create a project first.</source>
        <translation>请先打开或新建项目。</translation>
    </message>
    <message>
        <source>Importing PDFs</source>
        <translation>正在导入 PDF</translation>
    </message>
    <message>
        <source>(nothing)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>no PDF files were found there.</source>
        <translation>那里没有找到 PDF 文件。</translation>
    </message>
    <message>
        <source>skipped: no password was given.</source>
        <translation>已跳过：未输入密码。</translation>
    </message>
    <message>
        <source>That password was wrong for {name}. Try again:</source>
        <translation>{name} 的密码不正确。请重试：</translation>
    </message>
    <message>
        <source>{name} is protected by a password. Enter it to import the file:</source>
        <translation>{name} 受密码保护。请输入密码以导入该文件：</translation>
    </message>
    <message>
        <source>Password needed</source>
        <translation>需要密码</translation>
    </message>
    <message numerus="yes">
        <source>Import cancelled; %n file(s) had come in.</source>
        <translation>
            <numerusform>导入已取消；已导入 %n 个文件。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %n PDF(s) ({pages} pages).</source>
        <translation>
            <numerusform>已导入 %n 个 PDF（共 {pages} 页）。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>JobBar</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the background job; work done so far is kept</source>
        <translation>停止后台任务；已完成的部分会保留</translation>
    </message>
    <message>
        <source>Hide this line</source>
        <translation>隐藏此行</translation>
    </message>
    <message>
        <source>{job} — {progress}</source>
        <translation>{job} — {progress}</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>JobsPanel</name>
    <message>
        <source>Job</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Synthesizer</source>
        <translation>合成器</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>token 数</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>费用</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Retry failed</source>
        <translation>重试失败项</translation>
    </message>
    <message>
        <source>Send the job&apos;s pending items (a stopped job resumes where it stopped)</source>
        <translation>发送该任务中待处理的条目（已停止的任务从停止处继续）</translation>
    </message>
    <message>
        <source>Send the failed items again, and only those</source>
        <translation>仅重新发送失败的条目</translation>
    </message>
    <message>
        <source>Select a failure to see its error and the raw response</source>
        <translation>选择一个失败项，查看其错误和原始响应</translation>
    </message>
    <message>
        <source>{finished}/{total} ({failed} failed)</source>
        <translation>{finished}/{total}（{failed} 个失败）</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>No synthesis jobs yet: Synthesize → Synthesize…</source>
        <translation>尚无合成任务：合成 → 合成…</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>{count} {state}</source>
        <translation>{state} {count}</translation>
    </message>
    <message>
        <source>Job {job}: {total} item(s), {counts}; {tokens_in} tokens in, {tokens_out} out, {cost}. {message}</source>
        <translation>任务 {job}：共 {total} 个条目，{counts}；输入 {tokens_in} token，输出 {tokens_out} token，{cost}。{message}</translation>
    </message>
    <message>
        <source>Job {job}: {total} item(s), {counts}; {tokens_in} tokens in, {tokens_out} out, {cost}</source>
        <translation>任务 {job}：共 {total} 个条目，{counts}；输入 {tokens_in} token，输出 {tokens_out} token，{cost}</translation>
    </message>
    <message>
        <source>Item {item}: {error}</source>
        <translation>条目 {item}：{error}</translation>
    </message>
    <message>
        <source>Error: {error}

Raw response:
{raw}</source>
        <translation>错误：{error}

原始响应：
{raw}</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Synthesis</source>
        <translation>合成</translation>
    </message>
    <message>
        <source>Synthesis stopped</source>
        <translation>合成已停止</translation>
    </message>
    <message>
        <source>Synthesis job {job} stopped: {message}

Fix the cause (for a key: File → Settings → Synthesis), then press Resume.</source>
        <translation>合成任务 {job} 已停止：{message}

请先排除原因（密钥问题：文件 → 设置 → 合成），然后点击“继续”。</translation>
    </message>
    <message>
        <source>Synthesis job {job} could not run: {message}</source>
        <translation>合成任务 {job} 无法运行：{message}</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <source>No documents yet.
Import PDFs, or drop them on the window.</source>
        <translation>还没有文档。
请导入 PDF，或将其拖放到窗口上。</translation>
    </message>
    <message>
        <source>Import PDFs…</source>
        <translation>导入 PDF…</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>移除…</translation>
    </message>
    <message>
        <source>Remove the selected document from the project</source>
        <translation>从项目中移除所选文档</translation>
    </message>
    <message numerus="yes">
        <source>%n page(s) · {proposed} proposed · {accepted} accepted · {reviewed}/{pages} reviewed</source>
        <translation>
            <numerusform>%n 页 · {proposed} 个候选 · {accepted} 个已采纳 · 已审核 {reviewed}/{pages} 页</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove document…</source>
        <translation>移除文档…</translation>
    </message>
    <message>
        <source>Remove document</source>
        <translation>移除文档</translation>
    </message>
    <message numerus="yes">
        <source>Remove “{title}” and its %n page(s) and figures from this project?

Records synthesized from its figures keep their text. This cannot be undone.</source>
        <translation>
            <numerusform>要从此项目中移除“{title}”及其 %n 页和其中的图吗？

由其中的图合成的记录会保留文字。此操作无法撤销。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Annotate</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Project opened</source>
        <translation>已打开项目</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>文档库</translation>
    </message>
    <message>
        <source>Figures</source>
        <translation>插图</translation>
    </message>
    <message>
        <source>Inspector</source>
        <translation>详情面板</translation>
    </message>
    <message>
        <source>Undo history</source>
        <translation>撤销历史</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>记录</translation>
    </message>
    <message>
        <source>Synthesis jobs</source>
        <translation>合成任务</translation>
    </message>
    <message>
        <source>Merge report</source>
        <translation>合并报告</translation>
    </message>
    <message>
        <source>Damaged project</source>
        <translation>项目已损坏</translation>
    </message>
    <message>
        <source>Read-only project</source>
        <translation>只读项目</translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation>（暂无）</translation>
    </message>
    <message>
        <source>New project — choose a name and place</source>
        <translation>新建项目 — 选择名称和位置</translation>
    </message>
    <message>
        <source>Untitled.remud</source>
        <translation>未命名.remud</translation>
    </message>
    <message>
        <source>Preparing the sample project (first start only)</source>
        <translation>正在准备示例项目（仅首次启动）</translation>
    </message>
    <message>
        <source>The sample project could not be made: {reason}</source>
        <translation>无法创建示例项目：{reason}</translation>
    </message>
    <message>
        <source>Preparing the sample project…</source>
        <translation>正在准备示例项目…</translation>
    </message>
    <message>
        <source>Open a project folder</source>
        <translation>打开项目文件夹</translation>
    </message>
    <message>
        <source>{what} {why}</source>
        <translation>{what}{why}</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <source>{project} — ReMUD Desktop</source>
        <translation>{project} — ReMUD Desktop</translation>
    </message>
    <message>
        <source>{project} (damaged, read-only) — ReMUD Desktop</source>
        <translation>{project}（已损坏，只读）— ReMUD Desktop</translation>
    </message>
    <message>
        <source>{project} (read-only) — ReMUD Desktop</source>
        <translation>{project}（只读）— ReMUD Desktop</translation>
    </message>
    <message>
        <source>Import PDFs</source>
        <translation>导入 PDF</translation>
    </message>
    <message>
        <source>PDF files (*.pdf *.PDF);;All files (*)</source>
        <translation>PDF 文件 (*.pdf *.PDF);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Last page reviewed.</source>
        <translation>最后一页已审核。</translation>
    </message>
    <message>
        <source>Every page of this document is reviewed.</source>
        <translation>本文档的所有页都已审核。</translation>
    </message>
    <message>
        <source>This is the only page not reviewed yet.</source>
        <translation>这是唯一尚未审核的页。</translation>
    </message>
    <message>
        <source>Detect figures</source>
        <translation>检测插图</translation>
    </message>
    <message>
        <source>Open a document first.</source>
        <translation>请先打开一个文档。</translation>
    </message>
    <message>
        <source>Synthesize</source>
        <translation>合成</translation>
    </message>
    <message>
        <source>Open a project first.</source>
        <translation>请先打开一个项目。</translation>
    </message>
    <message>
        <source>Generate now</source>
        <translation>立即生成</translation>
    </message>
    <message>
        <source>Select one or more figures on the page first.</source>
        <translation>请先在页面上选择一个或多个插图。</translation>
    </message>
    <message>
        <source>Export dataset</source>
        <translation>导出数据集</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n record(s) to {folder}.</source>
        <translation>
            <numerusform>已将 %n 条记录导出到 {folder}。</numerusform>
        </translation>
    </message>
    <message>
        <source>{exported}

Open the folder?</source>
        <translation>{exported}

打开该文件夹吗？</translation>
    </message>
    <message>
        <source>Send figure to chat</source>
        <translation>发送插图到对话</translation>
    </message>
    <message>
        <source>Select a figure on the page first.</source>
        <translation>请先在页面上选择一个插图。</translation>
    </message>
    <message>
        <source>Figure {id}</source>
        <translation>图 {id}</translation>
    </message>
    <message>
        <source>About ReMUD Desktop</source>
        <translation>关于 ReMUD Desktop</translation>
    </message>
    <message>
        <source>ReMUD Desktop turns ultrasound books into reasoning training data.
Every edit is saved the moment it happens.</source>
        <translation>ReMUD Desktop 将超声书籍转化为推理训练数据。
每一次编辑都会即时保存。</translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message>
        <source>{name} — cannot be merged: {reason}</source>
        <translation>{name} — 无法合并：{reason}</translation>
    </message>
    <message>
        <source>{name} — another project ({folder})</source>
        <translation>{name} — 另一个项目（{folder}）</translation>
    </message>
    <message>
        <source>{assignee}: {name} — a part of this project ({pages})</source>
        <translation>{assignee}：{name} — 本项目的分包（{pages}）</translation>
    </message>
    <message>
        <source>{name} — a part of this project ({pages})</source>
        <translation>{name} — 本项目的分包（{pages}）</translation>
    </message>
    <message>
        <source>{assignee}: {name} — a part of another project ({pages})</source>
        <translation>{assignee}：{name} — 另一个项目的分包（{pages}）</translation>
    </message>
    <message>
        <source>{name} — a part of another project ({pages})</source>
        <translation>{name} — 另一个项目的分包（{pages}）</translation>
    </message>
    <message>
        <source>Merge projects into this one</source>
        <translation>将项目合并到本项目</translation>
    </message>
    <message>
        <source>Add project folder…</source>
        <translation>添加项目文件夹…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Ticked projects are merged in this order (drag to change it). Before each, a backup copy of this project is made; each is merged whole or not at all. Where both sides changed the same field, the work on the page&apos;s assigned part wins, else the later edit; the other version stays in the edit log and is listed in the report.</source>
        <translation>勾选的项目按此顺序合并（拖动可调整顺序）。每次合并前都会先备份本项目；每个项目要么整体合并，要么完全不合并。若双方修改了同一字段，以该页所分配分包上的工作为准，否则以较晚的修改为准；另一个版本保留在编辑日志中，并列在报告里。</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>合并</translation>
    </message>
    <message>
        <source>Merge into {name}:</source>
        <translation>合并到 {name}：</translation>
    </message>
    <message>
        <source>{name} — not there ({folder})</source>
        <translation>{name} — 不存在（{folder}）</translation>
    </message>
    <message>
        <source>A project to merge into this one</source>
        <translation>要合并到本项目的项目</translation>
    </message>
    <message numerus="yes">
        <source>Merging %n project(s)</source>
        <translation>
            <numerusform>正在合并 %n 个项目</numerusform>
        </translation>
    </message>
    <message>
        <source>Copying and backing up…</source>
        <translation>正在复制并备份…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>MergeReportView</name>
    <message>
        <source>nothing new</source>
        <translation>无新内容</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>No merge yet: File → Merge project…</source>
        <translation>尚未合并：文件 → 合并项目…</translation>
    </message>
    <message>
        <source>◀ Previous conflict</source>
        <translation>◀ 上一个冲突</translation>
    </message>
    <message>
        <source>Next conflict ▶</source>
        <translation>下一个冲突 ▶</translation>
    </message>
    <message>
        <source>{project}: {counts}</source>
        <translation>{project}：{counts}</translation>
    </message>
    <message>
        <source>left out (paid item made on both sides): {kind} {question}</source>
        <translation>已略过（双方都生成过的付费条目）：{kind} {question}</translation>
    </message>
    <message>
        <source>backup before the merge: {path}</source>
        <translation>合并前的备份：{path}</translation>
    </message>
    <message>
        <source>{projects} ({changed} with changes), {conflicts}: select one to see it, the version not kept is in the edit log.</source>
        <translation>{projects}（{changed} 个有改动），{conflicts}：选择一个即可查看，未保留的版本在编辑日志中。</translation>
    </message>
    <message>
        <source>{projects} ({changed} with changes), {conflicts}.</source>
        <translation>{projects}（{changed} 个有改动），{conflicts}。</translation>
    </message>
    <message numerus="yes">
        <source>%n project(s) merged</source>
        <translation>
            <numerusform>已合并 %n 个项目</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conflict(s)</source>
        <translation>
            <numerusform>%n 个冲突</numerusform>
        </translation>
    </message>
    <message>
        <source>{index} of {count}</source>
        <translation>第 {index} 个，共 {count} 个</translation>
    </message>
    <message>
        <source>this project</source>
        <translation>本项目</translation>
    </message>
    <message>
        <source>{where} · {field}
{source}: {source_value}{source_at}
this project: {target_value}{target_at}
kept: {kept}&apos;s ({reason})</source>
        <translation>{where} · {field}
{source}：{source_value}{source_at}
本项目：{target_value}{target_at}
保留：{kept}的版本（{reason}）</translation>
    </message>
</context>
<context>
    <name>MessageView</name>
    <message>
        <source>Load a model, then ask a question. Attach an ultrasound image with “Attach image…” or by dropping it on the box below.</source>
        <translation>先加载模型，再提出问题。可用“附加图像…”按钮附加超声图像，或把图像拖到下方输入框中。</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy this message&apos;s text</source>
        <translation>复制这条消息的文字</translation>
    </message>
    <message>
        <source>Edit &amp;&amp; resend</source>
        <translation>编辑并重新发送</translation>
    </message>
    <message>
        <source>Change this question and answer it again</source>
        <translation>修改这个问题并重新回答</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Answer the last question again</source>
        <translation>重新回答最后一个问题</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>writing…</source>
        <translation>正在生成…</translation>
    </message>
</context>
<context>
    <name>ModelBar</name>
    <message>
        <source>● Offline · runs on this computer</source>
        <translation>● 离线 · 在本机运行</translation>
    </message>
    <message>
        <source>Needs about {total} of memory (model {model}, context {context})</source>
        <translation>约需 {total} 内存（模型 {model}，上下文 {context}）</translation>
    </message>
    <message>
        <source>The model: a .gguf file, e.g. ReMUD-7B-Q4_K_M.gguf</source>
        <translation>模型：.gguf 文件，例如 ReMUD-7B-Q4_K_M.gguf</translation>
    </message>
    <message>
        <source>Choose the model (GGUF)</source>
        <translation>选择模型（GGUF）</translation>
    </message>
    <message>
        <source>Vision (optional): the mmproj .gguf that belongs to the model</source>
        <translation>视觉（可选）：与模型配套的 mmproj .gguf 文件</translation>
    </message>
    <message>
        <source>Choose the vision projector (mmproj GGUF)</source>
        <translation>选择视觉投影器（mmproj GGUF）</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Unload</source>
        <translation>卸载</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Chat runs the model with llama.cpp on this computer. Nothing is sent anywhere: the chat code opens no network connection.</source>
        <translation>对话功能在本机用 llama.cpp 运行模型。不会向任何地方发送数据：对话代码不建立任何网络连接。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Vision</source>
        <translation>视觉</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>Loaded {name} · with vision · {seconds} s</source>
        <translation>已加载 {name} · 支持图像 · {seconds} 秒</translation>
    </message>
    <message>
        <source>Loaded {name} · text only (add the mmproj file to send images) · {seconds} s</source>
        <translation>已加载 {name} · 仅文本（添加 mmproj 文件后才能发送图像） · {seconds} 秒</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>重新加载</translation>
    </message>
</context>
<context>
    <name>PageCanvas</name>
    <message>
        <source>No project open.
File → Open project… or New project…</source>
        <translation>尚未打开项目。
文件 → 打开项目… 或 新建项目…</translation>
    </message>
    <message>
        <source>No document yet.
Import PDFs (File → Import PDFs…) or drop PDFs or folders here.</source>
        <translation>还没有文档。
请导入 PDF（文件 → 导入 PDF…），或将 PDF 文件或文件夹拖放到这里。</translation>
    </message>
</context>
<context>
    <name>PageDisplay</name>
    <message>
        <source>Rendering page {page}…</source>
        <translation>正在渲染第 {page} 页…</translation>
    </message>
    <message>
        <source>This page could not be rendered.</source>
        <translation>无法渲染此页。</translation>
    </message>
</context>
<context>
    <name>PathField</name>
    <message>
        <source>GGUF files (*.gguf);;All files (*)</source>
        <translation>GGUF 文件 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
</context>
<context>
    <name>PreviewTable</name>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
</context>
<context>
    <name>PriceTable</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Input / 1M tokens</source>
        <translation>输入 / 百万 token</translation>
    </message>
    <message>
        <source>Output / 1M tokens</source>
        <translation>输出 / 百万 token</translation>
    </message>
    <message>
        <source>US dollars per million tokens; batch jobs cost ×{discount}. Models not listed get no estimate. To change prices, edit {path}</source>
        <translation>单位为美元/百万 token；批量任务的费用按 ×{discount} 计。未列出的模型不估算费用。要修改价格，请编辑 {path}</translation>
    </message>
</context>
<context>
    <name>RecordCommandTexts</name>
    <message numerus="yes">
        <source>Accept %n record(s)</source>
        <translation>
            <numerusform>采纳 %n 条记录</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n record(s)</source>
        <translation>
            <numerusform>否决 %n 条记录</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reset %n record(s)</source>
        <translation>
            <numerusform>重置 %n 条记录</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecordCommands</name>
    <message>
        <source>Edit record</source>
        <translation>编辑记录</translation>
    </message>
</context>
<context>
    <name>RecordEditor</name>
    <message>
        <source>No record selected</source>
        <translation>未选择记录</translation>
    </message>
    <message>
        <source>One option per line</source>
        <translation>每行一个选项</translation>
    </message>
    <message>
        <source>Options</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>Correct</source>
        <translation>正确答案</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Record {id}</source>
        <translation>记录 {id}</translation>
    </message>
    <message>
        <source>score {score}</source>
        <translation>分数 {score}</translation>
    </message>
    <message>
        <source>flags: {flags}</source>
        <translation>标记：{flags}</translation>
    </message>
</context>
<context>
    <name>RecordKind</name>
    <message>
        <source>qa</source>
        <translation>问答</translation>
    </message>
    <message>
        <source>vqa</source>
        <translation>图像问答</translation>
    </message>
    <message>
        <source>mcq</source>
        <translation>选择题</translation>
    </message>
</context>
<context>
    <name>RecordStatus</name>
    <message>
        <source>draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>已采纳</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已否决</translation>
    </message>
</context>
<context>
    <name>RecordTableModel</name>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Lang</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>分数</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
</context>
<context>
    <name>RecordsView</name>
    <message>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>已采纳</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已否决</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>所有状态</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>所有类型</translation>
    </message>
    <message>
        <source>All languages</source>
        <translation>所有语言</translation>
    </message>
    <message>
        <source>Any flags</source>
        <translation>标记不限</translation>
    </message>
    <message>
        <source>All documents</source>
        <translation>所有文档</translation>
    </message>
    <message>
        <source>Any score</source>
        <translation>分数不限</translation>
    </message>
    <message>
        <source>Minimum judge score (records without a score are hidden once set)</source>
        <translation>评审模型给出的最低分数（设置后，没有分数的记录会被隐藏）</translation>
    </message>
    <message>
        <source>Search question, thinking, answer, options…</source>
        <translation>搜索问题、思考、答案、选项…</translation>
    </message>
    <message>
        <source>No flags</source>
        <translation>无标记</translation>
    </message>
    <message>
        <source>Flagged</source>
        <translation>有标记</translation>
    </message>
    <message>
        <source>Document {id}</source>
        <translation>文档 {id}</translation>
    </message>
    <message>
        <source>Could not read the records: {reason}</source>
        <translation>无法读取记录：{reason}</translation>
    </message>
    <message numerus="yes">
        <source>%n record(s)</source>
        <translation>
            <numerusform>%n 条记录</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n record(s)</source>
        <translation>
            <numerusform>{shown} / %n 条记录</numerusform>
        </translation>
    </message>
    <message>
        <source>{count} (search shows the best {limit} matches)</source>
        <translation>{count}（搜索只显示最匹配的 {limit} 条）</translation>
    </message>
</context>
<context>
    <name>Review</name>
    <message>
        <source>No proposed boxes on this page ({below} under the score threshold left as proposed).</source>
        <translation>本页没有候选框（{below} 个置信度低于阈值的框保持为候选）。</translation>
    </message>
    <message>
        <source>No proposed boxes on this page.</source>
        <translation>本页没有候选框。</translation>
    </message>
    <message>
        <source>No proposals left in this document at or above the score threshold {threshold}.</source>
        <translation>本文档中已没有置信度不低于阈值 {threshold} 的候选框。</translation>
    </message>
    <message>
        <source>No proposals left in this document.</source>
        <translation>本文档中已没有候选框。</translation>
    </message>
    <message>
        <source>This is the only page with proposals left.</source>
        <translation>这是唯一还有候选框的页。</translation>
    </message>
</context>
<context>
    <name>ReviewTexts</name>
    <message numerus="yes">
        <source>Accept %n proposed box(es)</source>
        <translation>
            <numerusform>采纳 %n 个候选框</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accepted %n proposed box(es) ({below} under the score threshold left as proposed).</source>
        <translation>
            <numerusform>已采纳 %n 个候选框（{below} 个置信度低于阈值的框保持为候选）。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accepted %n proposed box(es).</source>
        <translation>
            <numerusform>已采纳 %n 个候选框。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Session</name>
    <message>
        <source>Draw box</source>
        <translation>绘制框</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>复制框</translation>
    </message>
    <message>
        <source>Move box</source>
        <translation>移动框</translation>
    </message>
    <message>
        <source>Nudge</source>
        <translation>微移框</translation>
    </message>
    <message>
        <source>Could not store the text found for the box: {reason}</source>
        <translation>无法保存为该框找到的文字：{reason}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>The key “{name}” could not be saved in the system keyring ({error}); check that a keyring is available and try again.</source>
        <translation>密钥“{name}”无法保存到系统密钥环（{error}）；请确认系统密钥环可用后重试。</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Checking the system keyring…</source>
        <translation>正在检查系统密钥环…</translation>
    </message>
    <message>
        <source>Forget key</source>
        <translation>删除密钥</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>The &lt;b&gt;qwen-vl&lt;/b&gt; detector asks a Qwen2.5-VL model behind an OpenAI-compatible endpoint (vLLM, llama.cpp server, DashScope) to box the figures of each page.</source>
        <translation>&lt;b&gt;qwen-vl&lt;/b&gt; 检测器请 OpenAI 兼容接口（vLLM、llama.cpp 服务器、DashScope）后面的 Qwen2.5-VL 模型为每一页的插图画框。</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Min pixels</source>
        <translation>最少像素</translation>
    </message>
    <message>
        <source>Max pixels</source>
        <translation>最多像素</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>qwen-vl endpoint</source>
        <translation>qwen-vl 接口</translation>
    </message>
    <message>
        <source>Detectors</source>
        <translation>检测器</translation>
    </message>
    <message>
        <source>Saved in {path} (keys only in the system keyring).</source>
        <translation>保存在 {path} 中（密钥只保存在系统密钥环中）。</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>服务提供方</translation>
    </message>
    <message>
        <source>Prices</source>
        <translation>价格</translation>
    </message>
    <message>
        <source>Detection</source>
        <translation>检测</translation>
    </message>
    <message>
        <source>Synthesis</source>
        <translation>合成</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>A key is saved in the system keyring (type to replace it)</source>
        <translation>系统密钥环中已保存密钥（输入新密钥可替换）</translation>
    </message>
    <message>
        <source>Empty for local servers</source>
        <translation>本地服务器可留空</translation>
    </message>
    <message>
        <source>The key will be removed from the keyring when you save</source>
        <translation>保存时将从系统密钥环中删除该密钥</translation>
    </message>
    <message>
        <source>Min pixels must not be larger than max pixels.</source>
        <translation>最少像素不能大于最多像素。</translation>
    </message>
    <message>
        <source>The language is saved: restart ReMUD Desktop to see it in {language}.</source>
        <translation>语言设置已保存：重新启动 ReMUD 后，界面语言将改为 {language}。</translation>
    </message>
    <message>
        <source>Saving the keys in the system keyring…</source>
        <translation>正在把密钥保存到系统密钥环…</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Draw a box: press, then drag on the page (hold Shift while releasing to draw another)</source>
        <translation>画框：按下后在页面上拖动（松开时按住 Shift 可继续画下一个）</translation>
    </message>
    <message>
        <source>Arrow keys</source>
        <translation>方向键</translation>
    </message>
    <message>
        <source>Nudge the selected boxes (Shift: 10×)</source>
        <translation>微移所选框（Shift：10 倍）</translation>
    </message>
    <message>
        <source>Delete the selected boxes</source>
        <translation>删除所选框</translation>
    </message>
    <message>
        <source>Duplicate the selected boxes</source>
        <translation>复制所选框</translation>
    </message>
    <message>
        <source>Accept the selected boxes</source>
        <translation>采纳所选框</translation>
    </message>
    <message>
        <source>Reject the selected boxes</source>
        <translation>否决所选框</translation>
    </message>
    <message>
        <source>Select the next / previous box in reading order (columns respected; wraps)</source>
        <translation>按阅读顺序选择下一个 / 上一个框（考虑分栏；循环）</translation>
    </message>
    <message>
        <source>Click / Ctrl+click / drag</source>
        <translation>单击 / Ctrl+单击 / 拖动</translation>
    </message>
    <message>
        <source>Select one, add to the selection, select with a rubber band</source>
        <translation>选择一个、加入选择、框选</translation>
    </message>
    <message>
        <source>Space + drag, middle drag</source>
        <translation>空格 + 拖动、中键拖动</translation>
    </message>
    <message>
        <source>Pan the page</source>
        <translation>平移页面</translation>
    </message>
    <message>
        <source>Zoom</source>
        <translation>缩放</translation>
    </message>
    <message>
        <source>Ctrl+wheel</source>
        <translation>Ctrl+滚轮</translation>
    </message>
    <message>
        <source>{key} (tap)</source>
        <translation>{key}（轻按）</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Page canvas</source>
        <translation>页面画布</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>What it does</source>
        <translation>作用</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>{proposed} proposed · {accepted} accepted · {rejected} rejected · {reviewed}/{total} pages reviewed</source>
        <translation>候选 {proposed} · 已采纳 {accepted} · 已否决 {rejected} · 已审核 {reviewed}/{total} 页</translation>
    </message>
    <message>
        <source>page {page} / {count}</source>
        <translation>第 {page} / {count} 页</translation>
    </message>
    <message>
        <source>Damaged — read-only</source>
        <translation>已损坏 — 只读</translation>
    </message>
    <message>
        <source>Read-only</source>
        <translation>只读</translation>
    </message>
    <message>
        <source>No project open</source>
        <translation>未打开项目</translation>
    </message>
    <message>
        <source>No document</source>
        <translation>无文档</translation>
    </message>
</context>
<context>
    <name>SynthController</name>
    <message>
        <source>{done}/{total} done, {cost} (paused) (batch)</source>
        <translation>已完成 {done}/{total}，{cost}（已暂停）（批量）</translation>
    </message>
    <message>
        <source>{done}/{total} done, {cost} (paused)</source>
        <translation>已完成 {done}/{total}，{cost}（已暂停）</translation>
    </message>
    <message>
        <source>{done}/{total} done, {cost} (batch)</source>
        <translation>已完成 {done}/{total}，{cost}（批量）</translation>
    </message>
    <message>
        <source>{done}/{total} done, {cost}</source>
        <translation>已完成 {done}/{total}，{cost}</translation>
    </message>
    <message>
        <source>Synthesis job {job} (batch)</source>
        <translation>合成任务 {job}（批量）</translation>
    </message>
    <message>
        <source>Synthesis job {job}</source>
        <translation>合成任务 {job}</translation>
    </message>
    <message>
        <source>The API key could not be looked up: {message}</source>
        <translation>无法查询 API 密钥：{message}</translation>
    </message>
    <message>
        <source>Cancelling the batches of synthesis job {job}</source>
        <translation>正在取消合成任务 {job} 的批量请求</translation>
    </message>
    <message>
        <source>Synthesis job {job} cancelled.</source>
        <translation>合成任务 {job} 已取消。</translation>
    </message>
    <message>
        <source>Synthesis job {job} stopped: {message}</source>
        <translation>合成任务 {job} 已停止：{message}</translation>
    </message>
    <message>
        <source>Synthesis job {job}: {message}</source>
        <translation>合成任务 {job}：{message}</translation>
    </message>
    <message numerus="yes">
        <source>Synthesis job {job}: {state}, %n item(s) written.</source>
        <translation>
            <numerusform>合成任务 {job}：{state}，已写入 %n 个条目。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Synthesis job {job} cancelled (%n provider batch(es) asked to cancel; Resume collects what they answered).</source>
        <translation>
            <numerusform>合成任务 {job} 已取消（已请求服务商取消 %n 个批量请求；点击“继续”可收取已返回的回答）。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SynthDialog</name>
    <message>
        <source>Reasoning VQA</source>
        <translation>推理 VQA</translation>
    </message>
    <message>
        <source>Multiple choice</source>
        <translation>选择题</translation>
    </message>
    <message>
        <source>Conversation / QA</source>
        <translation>对话 / QA</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>select their boxes on the page (Ctrl+A selects every box of the page) or their rows in the Figures list, and press Enter</source>
        <translation>在页面上选中它们的框（Ctrl+A 选中本页所有框）或在图列表中选中它们的行，然后按 Enter</translation>
    </message>
    <message>
        <source>Nothing to send: all {count} item(s) already exist in the project (synthesized, or waiting in an earlier job: run that one from the Synthesis jobs panel). Choose another kind or language to make more.</source>
        <translation>没有可发送的内容：全部 {count} 个条目已存在于项目中（已合成，或在之前的任务中等待：请在合成任务面板中运行该任务）。如需生成更多，请选择其他类型或语言。</translation>
    </message>
    <message>
        <source>{proposed} proposed, {rejected} rejected</source>
        <translation>{proposed} 个候选，{rejected} 个已否决</translation>
    </message>
    <message>
        <source>{proposed} proposed</source>
        <translation>{proposed} 个候选</translation>
    </message>
    <message>
        <source>{rejected} rejected</source>
        <translation>{rejected} 个已否决</translation>
    </message>
    <message>
        <source>the proposed ones</source>
        <translation>候选的图</translation>
    </message>
    <message>
        <source>figures</source>
        <translation>图</translation>
    </message>
    <message>
        <source>Nothing to send: none of the selected figures is accepted ({counts}); only accepted figures are synthesized. To accept {which}, {how}; then Synthesize again.</source>
        <translation>没有可发送的内容：所选的图都未采纳（{counts}）；只有已采纳的图才会被合成。要采纳{which}，请{how}；然后再次合成。</translation>
    </message>
    <message>
        <source>Nothing to send: this document has no accepted figures ({counts}); only accepted figures are synthesized. To accept {which}, {how}; then Synthesize again.</source>
        <translation>没有可发送的内容：本文档没有已采纳的图（{counts}）；只有已采纳的图才会被合成。要采纳{which}，请{how}；然后再次合成。</translation>
    </message>
    <message>
        <source>Nothing to send: the selection holds no figures yet. Find them with Detect → Detect… (or draw boxes with W), accept them ({how}), then Synthesize again.</source>
        <translation>没有可发送的内容：所选内容中还没有图。请用 检测 → 检测… 查找图（或按 W 画框），采纳它们（{how}），然后再次合成。</translation>
    </message>
    <message>
        <source>Nothing to send: this document has no figures yet. Find them with Detect → Detect… (or draw boxes with W), accept them ({how}), then Synthesize again.</source>
        <translation>没有可发送的内容：本文档还没有图。请用 检测 → 检测… 查找图（或按 W 画框），采纳它们（{how}），然后再次合成。</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source>No API key for {provider}: nothing can be sent without one. Save it in Settings → Synthesis (it goes to the system keyring), or set {variables}, or choose another synthesizer.</source>
        <translation>{provider} 没有 API 密钥：没有密钥就无法发送任何内容。请在 设置 → 合成 中保存密钥（存入系统密钥环），或设置 {variables}，或选择其他合成器。</translation>
    </message>
    <message>
        <source>Synthesize</source>
        <translation>合成</translation>
    </message>
    <message>
        <source>Selected figures ({count})</source>
        <translation>所选的图（{count} 个）</translation>
    </message>
    <message>
        <source>Accepted figures of the current document</source>
        <translation>当前文档中已采纳的图</translation>
    </message>
    <message>
        <source>Thinking trace (reasoning)</source>
        <translation>思考过程（推理）</translation>
    </message>
    <message>
        <source>Use the provider&apos;s batch API (about half the price; answers within 24 h)</source>
        <translation>使用服务商的批量 API（价格约为一半；24 小时内返回回答）</translation>
    </message>
    <message>
        <source>The items are uploaded as one provider batch and collected when it ends; Resume keeps polling the same batch, nothing is sent twice.</source>
        <translation>条目作为一个批量请求上传给服务商，完成后收取结果；“继续”会接着轮询同一个批量请求，不会重复发送。</translation>
    </message>
    <message>
        <source>Open Settings…</source>
        <translation>打开设置…</translation>
    </message>
    <message>
        <source>Settings → Synthesis: the provider&apos;s API key, model and base URL</source>
        <translation>设置 → 合成：服务商的 API 密钥、模型和基础 URL</translation>
    </message>
    <message>
        <source>Figures</source>
        <translation>图</translation>
    </message>
    <message>
        <source>Kinds</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Languages</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Synthesizer</source>
        <translation>合成器</translation>
    </message>
    <message>
        <source>Items to send</source>
        <translation>待发送条目</translation>
    </message>
    <message>
        <source>Estimated cost</source>
        <translation>预计费用</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Choose at least one kind and one language.</source>
        <translation>请至少选择一种类型和一种语言。</translation>
    </message>
    <message>
        <source>Select figures on the page, or open a document.</source>
        <translation>请在页面上选择图，或打开一个文档。</translation>
    </message>
    <message>
        <source>0 ({skipped} already made)</source>
        <translation>0（{skipped} 个已生成）</translation>
    </message>
    <message>
        <source>{todo} ({skipped} already made, skipped)</source>
        <translation>{todo}（{skipped} 个已生成，已跳过）</translation>
    </message>
    <message>
        <source>unknown (no price for this model in the pricing file)</source>
        <translation>未知（价格文件中没有该模型的价格）</translation>
    </message>
    <message>
        <source>about {cost} (batch price)</source>
        <translation>约 {cost}（批量价格）</translation>
    </message>
    <message>
        <source>about {cost}</source>
        <translation>约 {cost}</translation>
    </message>
    <message>
        <source>Checking the API key…</source>
        <translation>正在检查 API 密钥…</translation>
    </message>
    <message>
        <source>The API key could not be looked up: {message}</source>
        <translation>无法查询 API 密钥：{message}</translation>
    </message>
</context>
<context>
    <name>SynthStates</name>
    <message>
        <source>pending</source>
        <translation>待处理</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>已结束</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
</context>
<context>
    <name>SynthesisPage</name>
    <message>
        <source>The provider&apos;s default (or OPENAI_BASE_URL)</source>
        <translation>服务提供方的默认值（或 OPENAI_BASE_URL）</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Synthesizers write the question, thinking and answer records about each figure.</source>
        <translation>合成器为每张插图编写包含问题、思考和答案的记录。</translation>
    </message>
    <message>
        <source>Synthesizer</source>
        <translation>合成器</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>最大 token 数</translation>
    </message>
    <message>
        <source>Requests at once</source>
        <translation>并发请求数</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Checking the system keyring…</source>
        <translation>正在检查系统密钥环…</translation>
    </message>
    <message>
        <source>A key is saved in the system keyring as “{name}” (type to replace it)</source>
        <translation>系统密钥环中已保存名为“{name}”的密钥（输入新密钥可替换）</translation>
    </message>
    <message>
        <source>Stored in the system keyring as “{name}”</source>
        <translation>以“{name}”为名保存在系统密钥环中</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
</context>
<context>
    <name>TeamController</name>
    <message>
        <source>figure</source>
        <translation>图</translation>
    </message>
    <message>
        <source>record</source>
        <translation>记录</translation>
    </message>
    <message>
        <source>page</source>
        <translation>页</translation>
    </message>
    <message>
        <source>document</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Hand out</source>
        <translation>分发</translation>
    </message>
    <message>
        <source>Open a project first.</source>
        <translation>请先打开一个项目。</translation>
    </message>
    <message numerus="yes">
        <source>Handed out %n part(s) into {folder}.</source>
        <translation>
            <numerusform>已将 %n 个分包分发到 {folder}。</numerusform>
        </translation>
    </message>
    <message>
        <source>• {folder} for {assignee}</source>
        <translation>• {folder}（给 {assignee}）</translation>
    </message>
    <message>
        <source>{done}

{names}

Give each annotator their folder; merge them back with File → Merge project…

Open the folder?</source>
        <translation>{done}

{names}

请把各自的文件夹交给每位标注员；之后用 文件 → 合并项目… 合并回来。

要打开该文件夹吗？</translation>
    </message>
    <message>
        <source>Merge project</source>
        <translation>合并项目</translation>
    </message>
    <message numerus="yes">
        <source>Merged {projects}; %n conflict(s) (see Merge report).</source>
        <translation>
            <numerusform>已合并 {projects}；%n 个冲突（见合并报告）。</numerusform>
        </translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>Nothing new to merge: the project is unchanged.</source>
        <translation>没有新内容可合并：项目未变化。</translation>
    </message>
    <message>
        <source>That {entity} is no longer in the project.</source>
        <translation>该{entity}已不在项目中。</translation>
    </message>
    <message>
        <source>Record #{record} is hidden by the Records panel&apos;s filters.</source>
        <translation>记录 #{record} 被记录面板的筛选条件隐藏了。</translation>
    </message>
</context>
<context>
    <name>TextFields</name>
    <message>
        <source>Caption</source>
        <translation>图注</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Burned-in text</source>
        <translation>图中文字</translation>
    </message>
    <message>
        <source>Section</source>
        <translation>章节</translation>
    </message>
    <message>
        <source>Sub-label</source>
        <translation>分图号</translation>
    </message>
</context>
<context>
    <name>TextFiller</name>
    <message>
        <source>Reading the text of boxes</source>
        <translation>正在读取框的文字</translation>
    </message>
    <message>
        <source>Could not read the text of the box: {reason}</source>
        <translation>无法读取该框的文字：{reason}</translation>
    </message>
</context>
<context>
    <name>ThinkingSection</name>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>Thinking tokens so far and the maximum; waits: how often the wait string was inserted because the model stopped thinking before the minimum; max reached: the thinking was cut off at the maximum</source>
        <translation>目前的思考 token 数和最大值；续思：模型在达到最小值之前停止思考、因而插入续思词的次数；已达上限：思考在最大值处被截断</translation>
    </message>
</context>
<context>
    <name>ThumbnailModel</name>
    <message>
        <source>Page {page}</source>
        <translation>第 {page} 页</translation>
    </message>
    <message numerus="yes">
        <source>%n figure(s)</source>
        <translation>
            <numerusform>%n 个图</numerusform>
        </translation>
    </message>
    <message>
        <source>reviewed</source>
        <translation>已审核</translation>
    </message>
    <message>
        <source>scanned</source>
        <translation>扫描页</translation>
    </message>
</context>
<context>
    <name>WelcomeScreen</name>
    <message>
        <source>GGUF files (*.gguf);;All files (*)</source>
        <translation>GGUF 文件 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Turn ultrasound books and reports into reasoning training data, then ask the trained model, offline.</source>
        <translation>将超声书籍和报告转化为推理训练数据，然后离线向训练好的模型提问。</translation>
    </message>
    <message>
        <source>Open the sample project</source>
        <translation>打开示例项目</translation>
    </message>
    <message>
        <source>A short scanned atlas to try everything on</source>
        <translation>一本简短的扫描图谱，可用来试用所有功能</translation>
    </message>
    <message>
        <source>New project…</source>
        <translation>新建项目…</translation>
    </message>
    <message>
        <source>Start from your own PDFs: books, guidelines, reports</source>
        <translation>从你自己的 PDF 开始：书籍、指南、报告</translation>
    </message>
    <message>
        <source>Open project…</source>
        <translation>打开项目…</translation>
    </message>
    <message>
        <source>A .remud project folder on this computer</source>
        <translation>本机上的 .remud 项目文件夹</translation>
    </message>
    <message>
        <source>API key for synthesis</source>
        <translation>合成用的 API 密钥</translation>
    </message>
    <message>
        <source>Set up…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Chat model (GGUF)</source>
        <translation>对话模型（GGUF）</translation>
    </message>
    <message>
        <source>Choose model…</source>
        <translation>选择模型…</translation>
    </message>
    <message>
        <source>Open chat</source>
        <translation>打开对话</translation>
    </message>
    <message>
        <source>Chat with the model now; no project is needed</source>
        <translation>现在就与模型对话，无需项目</translation>
    </message>
    <message>
        <source>Sample project</source>
        <translation>示例项目</translation>
    </message>
    <message>
        <source>Open sample</source>
        <translation>打开示例</translation>
    </message>
    <message>
        <source>Recent projects</source>
        <translation>最近的项目</translation>
    </message>
    <message>
        <source>Setup</source>
        <translation>准备情况</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>Ready in {folder}</source>
        <translation>已就绪，位于 {folder}</translation>
    </message>
    <message>
        <source>A short scanned atlas, made the first time you open it.</source>
        <translation>一本简短的扫描图谱，首次打开时创建。</translation>
    </message>
    <message>
        <source>This could not be checked: {reason}</source>
        <translation>无法检查：{reason}</translation>
    </message>
    <message>
        <source>{name} — not found
{folder}</source>
        <translation>{name} — 未找到
{folder}</translation>
    </message>
    <message>
        <source>{folder} is not there any more (moved, renamed or on a removed drive).</source>
        <translation>{folder} 已不存在（被移动、重命名，或位于已移除的驱动器上）。</translation>
    </message>
    <message>
        <source>No recent projects yet.
Projects you open will be listed here.</source>
        <translation>还没有最近的项目。
打开过的项目会列在这里。</translation>
    </message>
    <message>
        <source>No model chosen yet. Chat runs a GGUF file (e.g. ReMUD-7B-Q4_K_M.gguf) on this computer, offline.</source>
        <translation>尚未选择模型。对话功能在本机离线运行一个 GGUF 文件（例如 ReMUD-7B-Q4_K_M.gguf）。</translation>
    </message>
    <message>
        <source>{name} is not at {folder} any more.</source>
        <translation>{name} 已不在 {folder} 中。</translation>
    </message>
    <message>
        <source>vision projector {name}</source>
        <translation>视觉投影器 {name}</translation>
    </message>
    <message>
        <source>vision projector {name} not found</source>
        <translation>未找到视觉投影器 {name}</translation>
    </message>
    <message>
        <source>no vision projector (mmproj), so no images</source>
        <translation>没有视觉投影器（mmproj），因此不能处理图像</translation>
    </message>
    <message>
        <source>The keys could not be checked: {reason}</source>
        <translation>无法检查密钥：{reason}</translation>
    </message>
    <message>
        <source>{provider}: {state}</source>
        <translation>{provider}：{state}</translation>
    </message>
    <message>
        <source>No synthesis provider needs one.</source>
        <translation>没有合成服务需要密钥。</translation>
    </message>
    <message>
        <source>Choose the chat model (GGUF)</source>
        <translation>选择对话模型（GGUF）</translation>
    </message>
    <message>
        <source>Chat model</source>
        <translation>对话模型</translation>
    </message>
</context>
<context>
    <name>Workers</name>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>意外错误：{error}</translation>
    </message>
    <message>
        <source>Unexpected error: {kind}: {error}</source>
        <translation>意外错误：{kind}：{error}</translation>
    </message>
</context>
</TS>
